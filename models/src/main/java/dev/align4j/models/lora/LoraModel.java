package dev.align4j.models.lora;

import dev.align4j.models.CausalLM;
import dev.align4j.models.Linear;
import dev.align4j.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * LoRA adapters attached to a model's linear layers, as PEFT's {@code get_peft_model} does: the base
 * weights stay frozen (no gradient buffers, no optimizer state), each targeted layer gains a
 * {@link LoraAdapter}, and {@code modules_to_save} are trained in full.
 *
 * <p>Adapter tensors are named as PEFT saves them:
 * {@code base_model.model.<module path>.lora_A.weight} (r, in) and {@code ….lora_B.weight} (out, r);
 * a module to save keeps its parameter names under {@code base_model.model.}. The adapters can be
 * switched off for a scope ({@link #disabled}, PEFT's {@code disable_adapter()}): the base model is
 * then the reference policy that DPO, PPO and GRPO need, with no second copy of the weights.
 * {@link #mergeAndUnload} folds each update into its weight ({@code W += s·B·A}) and detaches the adapters.
 *
 * <p>One difference from PEFT: a module to save is trained in place, not in a copy beside the
 * original (PEFT's {@code ModulesToSaveWrapper}), so switching the adapters off does not bring its
 * original values back. The reference policy of DPO, PPO and GRPO is therefore the base only when
 * no module is saved — the usual case; a value or score head, the usual module to save, is not part
 * of the policy's log-probs.
 */
public final class LoraModel {
    /** PEFT's prefix of every saved adapter tensor. */
    public static final String PREFIX = "base_model.model.";

    private final CausalLM model;
    private final LoraConfig config;
    private final Map<String, Tensor> trainable = new LinkedHashMap<>();
    private boolean enabled = true, training;
    private long dropoutSeed;

    private LoraModel(CausalLM model, LoraConfig config) {
        this.model = model;
        this.config = config;
    }

    /**
     * Fresh adapters on the targeted layers, initialised as PEFT does: A Kaiming-uniform (a = √5,
     * i.e. uniform in ±1/√in), B zero; {@code seed} draws A.
     *
     * @throws IllegalArgumentException when no layer matches target_modules, or a module to save does not exist
     */
    public static LoraModel attach(CausalLM model, LoraConfig config, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return build(model, config, (path, linear) -> {
            int in = linear.inFeatures();
            float[] a = new float[config.r() * in];
            double bound = 1 / Math.sqrt(in); // kaiming_uniform_(a=√5): gain √(2/(1+5)), bound gain·√(3/fan_in)
            for (int i = 0; i < a.length; i++) a[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
            return new Tensor[] {Tensor.of(a, config.r(), in), Tensor.zeros(linear.outFeatures(), config.r())};
        });
    }

    /**
     * Adapters with saved weights ({@code weights} by PEFT name, as {@link #trainableParameters}
     * names them); modules to save are overwritten with their saved values.
     *
     * @throws IllegalArgumentException naming the tensor when one is missing or has the wrong shape
     */
    public static LoraModel load(CausalLM model, LoraConfig config, Map<String, Tensor> weights) {
        LoraModel lora = build(model, config, (path, linear) -> new Tensor[] {
                saved(weights, PREFIX + path + ".lora_A.weight", config.r(), linear.inFeatures()),
                saved(weights, PREFIX + path + ".lora_B.weight", linear.outFeatures(), config.r())});
        for (var e : lora.trainable.entrySet()) {
            if (e.getKey().endsWith(".lora_A.weight") || e.getKey().endsWith(".lora_B.weight")) continue;
            Tensor from = saved(weights, e.getKey(), e.getValue().shape());
            System.arraycopy(from.storage(), from.offset(), e.getValue().storage(), e.getValue().offset(), from.numel());
        }
        return lora;
    }

    private interface Init {
        Tensor[] ab(String path, Linear linear);
    }

    private static LoraModel build(CausalLM model, LoraConfig config, Init init) {
        LoraModel lora = new LoraModel(model, config);
        for (Tensor t : model.parameters().values()) t.requiresGrad(false);
        int stream = 0;
        for (var e : model.linearLayers().entrySet()) {
            if (!config.targets(e.getKey())) continue;
            Tensor[] ab = init.ab(e.getKey(), e.getValue());
            ab[0].requiresGrad(true);
            ab[1].requiresGrad(true);
            e.getValue().attach(new LoraAdapter(ab[0], ab[1], config.scale(), (float) config.loraDropout(), stream++,
                    () -> lora.enabled, () -> lora.training, () -> lora.dropoutSeed));
            lora.trainable.put(PREFIX + e.getKey() + ".lora_A.weight", ab[0]);
            lora.trainable.put(PREFIX + e.getKey() + ".lora_B.weight", ab[1]);
        }
        if (stream == 0) {
            throw new IllegalArgumentException("LoRA: target_modules " + config.targetModules() + " match no linear layer of this "
                    + model.modelType() + " model; its linear modules are " + model.linearLayers().keySet().stream()
                    .map(p -> p.substring(p.lastIndexOf('.') + 1)).distinct().toList() + " (or \"all-linear\")");
        }
        for (String module : config.modulesToSave()) {
            int found = 0;
            for (var p : model.parameters().entrySet()) {
                if (!p.getKey().startsWith(module + ".")) continue;
                p.getValue().requiresGrad(true);
                lora.trainable.put(PREFIX + p.getKey(), p.getValue());
                found++;
            }
            if (found == 0) throw new IllegalArgumentException("LoRA: modules_to_save names \"" + module + "\", which this model does not have");
        }
        return lora;
    }

    private static Tensor saved(Map<String, Tensor> weights, String name, int... shape) {
        Tensor t = weights.get(name);
        if (t == null) throw new IllegalArgumentException("LoRA adapter: tensor " + name + " is missing");
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("LoRA adapter: tensor " + name + " is " + java.util.Arrays.toString(t.shape())
                    + ", expected " + java.util.Arrays.toString(shape) + " for this model and r");
        }
        return t.copy();
    }

    /** The model the adapters are attached to. */
    public CausalLM model() {
        return model;
    }

    public LoraConfig config() {
        return config;
    }

    /** Every trained tensor by its PEFT name: the A and B of each adapter, then the modules to save. */
    public Map<String, Tensor> trainableParameters() {
        return java.util.Collections.unmodifiableMap(trainable);
    }

    /**
     * Training mode (PyTorch's {@code train()} / {@code eval()}): lora_dropout applies only in it. Off
     * by default, so generation and evaluation never drop; a trainer turns it on for its training
     * forward passes.
     */
    public void setTraining(boolean training) {
        this.training = training;
    }

    /** Seeds the adapters' dropout masks (the trainer sets it per micro-batch, from the seed and the step). */
    public void setDropoutSeed(long seed) {
        this.dropoutSeed = seed;
    }

    /** A scope in which the adapters are off: the model is its base (the reference policy). */
    public Disabled disabled() {
        boolean before = enabled;
        enabled = false;
        return () -> enabled = before;
    }

    /** The scope of {@link #disabled}: closing it restores the adapters (it throws nothing). */
    public interface Disabled extends AutoCloseable {
        @Override
        void close();
    }

    /** Whether the adapters are on. */
    public boolean enabled() {
        return enabled;
    }

    /**
     * Folds each adapter into its weight, {@code W += s·B·A} (transposed for GPT-2's [in, out]
     * layout), and detaches it: PEFT's {@code merge_and_unload}. The model is then a plain model.
     */
    public CausalLM mergeAndUnload() {
        for (Linear l : model.linearLayers().values()) {
            LoraAdapter a = l.adapter();
            if (a == null) continue;
            if (l.weight().isBf16() || l.weight().is4Bit()) {
                throw new IllegalArgumentException("LoRA merge: " + l.name() + " is frozen " + (l.weight().is4Bit() ? "4-bit" : "BF16")
                        + "; load the base model in float32 (without load_in_4bit) to merge");
            }
            float[] w = l.weight().storage();
            int off = l.weight().offset(), in = a.inFeatures(), out = a.outFeatures(), r = a.rank();
            float[] A = a.a().toArray(), B = a.b().toArray();
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    double d = 0;
                    for (int k = 0; k < r; k++) d += (double) B[o * r + k] * A[k * in + i];
                    int at = l.layout() == Linear.Layout.OUT_IN ? o * in + i : i * out + o;
                    w[off + at] += (float) (a.scale() * d);
                }
            }
            l.attach(null);
        }
        return model;
    }

    /** The names of the layers that carry adapters, in order. */
    public List<String> adaptedLayers() {
        return model.linearLayers().entrySet().stream().filter(e -> e.getValue().adapter() != null).map(Map.Entry::getKey).toList();
    }
}
