package dev.align4j.models.lora;

import java.util.List;

/**
 * A LoRA configuration under PEFT's {@code LoraConfig} names (peft/tuners/lora/config.py).
 *
 * @param r              the rank
 * @param loraAlpha      lora_alpha: the update is scaled by {@code lora_alpha / r} ({@code / √r} with rsLoRA)
 * @param loraDropout    lora_dropout, on the adapter's input during training
 * @param targetModules  module names (a module matches when its path equals a name or ends with
 *                       {@code "." + name}), or the single entry {@code "all-linear"}: every linear
 *                       layer of the transformer blocks (the output head excluded, as PEFT does)
 * @param useRslora      use_rslora: scale by {@code lora_alpha / √r} (Kalajdzievski 2023)
 * @param modulesToSave  modules trained in full beside the adapters and saved with them (e.g. a
 *                       reward model's {@code score} head), by module path
 */
public record LoraConfig(int r, double loraAlpha, double loraDropout, List<String> targetModules, boolean useRslora,
                         List<String> modulesToSave) {

    public LoraConfig {
        if (r < 1) throw new IllegalArgumentException("LoraConfig: r must be >= 1, got " + r);
        if (!(loraAlpha > 0)) throw new IllegalArgumentException("LoraConfig: lora_alpha must be > 0, got " + loraAlpha);
        if (!(loraDropout >= 0 && loraDropout < 1)) {
            throw new IllegalArgumentException("LoraConfig: lora_dropout must be in [0, 1), got " + loraDropout);
        }
        if (targetModules == null || targetModules.isEmpty()) {
            throw new IllegalArgumentException("LoraConfig: target_modules is empty; name modules (q_proj, v_proj, c_attn, …) or \"all-linear\"");
        }
        targetModules = List.copyOf(targetModules);
        modulesToSave = modulesToSave == null ? List.of() : List.copyOf(modulesToSave);
    }

    /** The update's scale: {@code lora_alpha / r}, or {@code lora_alpha / √r} with rsLoRA. */
    public float scale() {
        return (float) (useRslora ? loraAlpha / Math.sqrt(r) : loraAlpha / r);
    }

    /** Whether the layer at {@code path} gets an adapter. */
    public boolean targets(String path) {
        if (targetModules.equals(List.of("all-linear"))) return true;
        for (String t : targetModules) if (path.equals(t) || path.endsWith("." + t)) return true;
        return false;
    }
}
