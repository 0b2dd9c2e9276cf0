package dev.align4j.models.llama;

import dev.align4j.models.CausalLM;
import dev.align4j.models.KvCache;
import dev.align4j.models.LayerAttention;
import dev.align4j.models.Linear;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.Weights;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Embedding;
import dev.align4j.tensor.Linalg;
import dev.align4j.tensor.Norms;
import dev.align4j.tensor.Rope;
import dev.align4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Llama family in one file — Llama, Qwen2, Qwen3, Mistral, SmolLM — driven by {@link LlamaConfig}:
 * RMSNorm, rotate-half RoPE (with rope_scaling), grouped-query attention over packed segments, and
 * the SiLU-gated MLP {@code down(silu(gate(x)) · up(x))}.
 *
 * <p>Based on transformers' {@code modeling_llama.py}, with the members' differences as config
 * switches: Qwen2's q/k/v biases, Qwen3's per-head q_norm/k_norm (applied before RoPE), Llama's
 * optional attention and MLP biases. Weights keep the Hub's names and {@code [out, in]} layouts.
 * Training and generation share one forward pass ({@code forward}); only the attention step differs
 * ({@link LayerAttention}: packed causal, or over a {@link KvCache}). What it is not: dropout, or
 * sliding-window attention beyond the window: a Mistral sequence longer than {@code sliding_window}
 * (counting cached tokens) is rejected, since within the window the two are the same.
 */
public final class LlamaModel implements CausalLM {
    private final LlamaConfig config;
    private final Map<String, Tensor> params;
    private final Tensor embedTokens, norm, lmHead; // (V, C), (C), (V, C) — lmHead is embedTokens when tied
    private final Layer[] layers;
    private final Tensor[][] layerParams; // each layer's tensors, for gradient checkpointing
    private boolean gradientCheckpointing;
    private final float[] invFreq; // (headDim / 2)

    private final Map<String, Linear> linears = new LinkedHashMap<>();

    private record Layer(Tensor inputNorm, Linear q, Linear k, Linear v, Linear o, Tensor qNorm, Tensor kNorm, Tensor postNorm,
                         Linear gate, Linear up, Linear down) {
        List<Linear> linears() {
            return List.of(q, k, v, o, gate, up, down);
        }
    }

    /** Builds the model on {@code weights}, named as {@link #parameterShapes} lists them (checked). */
    public LlamaModel(LlamaConfig config, Map<String, Tensor> weights) {
        this.config = config;
        this.params = Weights.require(config.modelType(), weights, parameterShapes(config));
        embedTokens = params.get("model.embed_tokens.weight");
        norm = params.get("model.norm.weight");
        lmHead = config.tieWordEmbeddings() ? embedTokens : params.get("lm_head.weight");
        invFreq = config.ropeScaling().inverseFrequencies(config.headDim(), config.ropeTheta());
        layers = new Layer[config.numHiddenLayers()];
        for (int l = 0; l < layers.length; l++) {
            String h = "model.layers." + l + ".";
            layers[l] = new Layer(p(h + "input_layernorm.weight"),
                    linear(h + "self_attn.q_proj"), linear(h + "self_attn.k_proj"), linear(h + "self_attn.v_proj"),
                    linear(h + "self_attn.o_proj"), p(h + "self_attn.q_norm.weight"), p(h + "self_attn.k_norm.weight"),
                    p(h + "post_attention_layernorm.weight"),
                    linear(h + "mlp.gate_proj"), linear(h + "mlp.up_proj"), linear(h + "mlp.down_proj"));
        }
        layerParams = Weights.byPrefix(params, "model.layers.", layers.length);
    }

    /** A model with random weights (see {@link Weights#random}). */
    public static LlamaModel random(LlamaConfig config, long seed, double std) {
        return new LlamaModel(config, Weights.random(parameterShapes(config), seed, std));
    }

    /** Every parameter's Hugging Face name and shape, in checkpoint order. */
    public static Map<String, int[]> parameterShapes(LlamaConfig c) {
        int C = c.hiddenSize(), D = c.headDim(), qDim = c.numAttentionHeads() * D, kvDim = c.numKeyValueHeads() * D;
        int I = c.intermediateSize();
        Map<String, int[]> s = new LinkedHashMap<>();
        s.put("model.embed_tokens.weight", new int[] {c.vocabSize(), C});
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String h = "model.layers." + l + ".";
            s.put(h + "input_layernorm.weight", new int[] {C});
            linear(s, h + "self_attn.q_proj", qDim, C, c.qkvBias());
            linear(s, h + "self_attn.k_proj", kvDim, C, c.qkvBias());
            linear(s, h + "self_attn.v_proj", kvDim, C, c.qkvBias());
            linear(s, h + "self_attn.o_proj", C, qDim, c.oBias());
            if (c.qkNorm()) {
                s.put(h + "self_attn.q_norm.weight", new int[] {D});
                s.put(h + "self_attn.k_norm.weight", new int[] {D});
            }
            s.put(h + "post_attention_layernorm.weight", new int[] {C});
            linear(s, h + "mlp.gate_proj", I, C, c.mlpBias());
            linear(s, h + "mlp.up_proj", I, C, c.mlpBias());
            linear(s, h + "mlp.down_proj", C, I, c.mlpBias());
        }
        s.put("model.norm.weight", new int[] {C});
        if (!c.tieWordEmbeddings()) s.put("lm_head.weight", new int[] {c.vocabSize(), C});
        return s;
    }

    /** The projections of a layer, in the order {@link #linearLayers} lists them. */
    private static final List<String> LINEAR_MODULES = List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
            "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj");

    /**
     * The module paths of {@link #linearLayers} for {@code config}, known before any weight is: what a
     * loader quantising the linear layers ({@code load_in_4bit}) needs while it reads the checkpoint.
     */
    public static List<String> linearLayerPaths(LlamaConfig config) {
        List<String> paths = new ArrayList<>();
        for (int l = 0; l < config.numHiddenLayers(); l++) for (String m : LINEAR_MODULES) paths.add("model.layers." + l + "." + m);
        return paths;
    }

    private static void linear(Map<String, int[]> s, String name, int out, int in, boolean bias) {
        s.put(name + ".weight", new int[] {out, in});
        if (bias) s.put(name + ".bias", new int[] {out});
    }

    public LlamaConfig config() {
        return config;
    }

    @Override
    public String modelType() {
        return config.modelType();
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int hiddenSize() {
        return config.hiddenSize();
    }

    @Override
    public Map<String, Tensor> parameters() {
        return params;
    }

    @Override
    public int contextLength() {
        return config.maxPositionEmbeddings();
    }

    @Override
    public KvCache newKvCache() {
        return new KvCache(config.numHiddenLayers(), config.numKeyValueHeads(), config.headDim());
    }

    @Override
    public Tensor hiddenStates(PackedBatch batch) {
        checkWindow(batch);
        return forward(batch, LayerAttention.causal(batch.segments()));
    }

    @Override
    public Tensor hiddenStates(PackedBatch batch, KvCache cache, int[] slots) {
        checkWindow(batch);
        return forward(batch, cache.extend(batch, slots));
    }

    /** The one forward pass of both paths: embedding, the layers with {@code attention}, the final norm. */
    private Tensor forward(PackedBatch batch, LayerAttention attention) {
        Rope.Table rope = Rope.table(batch.positions(), invFreq); // shared by every layer, q and k
        Tensor x = Embedding.lookup(embedTokens, batch.tokens()); // (T, C)
        for (int i = 0; i < layers.length; i++) {
            int layer = i;
            x = gradientCheckpointing ? Autograd.checkpoint(x, h -> layer(layer, h, attention, rope),
                    Linear.withAdapters(layerParams[i], layers[i].linears()))
                    : layer(i, x, attention, rope);
        }
        return Norms.rmsNorm(x, norm, (float) config.rmsNormEps());
    }

    /** Layer {@code i}: pre-norm attention and gated MLP, each added to the residual stream x (T, C). */
    private Tensor layer(int i, Tensor x, LayerAttention attention, Rope.Table rope) {
        int T = x.dim(0), H = config.numAttentionHeads(), Hkv = config.numKeyValueHeads(), D = config.headDim();
        float eps = (float) config.rmsNormEps();
        Layer l = layers[i];
        Tensor h = Norms.rmsNorm(x, l.inputNorm, eps);
        Tensor q = l.q.forward(h).view(T, H, D);
        Tensor k = l.k.forward(h).view(T, Hkv, D);
        Tensor v = l.v.forward(h).view(T, Hkv, D);
        if (config.qkNorm()) { // Qwen3: RMSNorm over each head's D features, before RoPE
            q = Norms.rmsNorm(q, l.qNorm, eps);
            k = Norms.rmsNorm(k, l.kNorm, eps);
        }
        q = Rope.apply(q, rope);
        k = Rope.apply(k, rope);
        Tensor y = attention.attend(i, q, k, v).view(T, H * D);
        x = Elementwise.add(x, l.o.forward(y));
        Tensor m = Norms.rmsNorm(x, l.postNorm, eps);
        Tensor gated = Elementwise.mul(Elementwise.silu(l.gate.forward(m)), l.up.forward(m));
        return Elementwise.add(x, l.down.forward(gated));
    }

    /** The linear layer {@code path} ({@code path.weight}, and {@code path.bias} when the config has one), registered by name. */
    private Linear linear(String path) {
        Linear l = new Linear(path, p(path + ".weight"), params.get(path + ".bias"), Linear.Layout.OUT_IN);
        linears.put(path, l);
        return l;
    }

    @Override
    public Map<String, Linear> linearLayers() {
        return linears;
    }

    @Override
    public void gradientCheckpointing(boolean enabled) {
        gradientCheckpointing = enabled;
    }

    @Override
    public Tensor lmHead(Tensor hidden) {
        return Linalg.linear(hidden, lmHead, null); // (T, V)
    }

    /** A sequence's length is its last position + 1 (cached tokens included); checked before the cache is touched. */
    private void checkWindow(PackedBatch batch) {
        if (config.slidingWindow() <= 0) return;
        var seg = batch.segments();
        int[] positions = batch.positions();
        for (int s = 0; s < seg.segments(); s++) {
            int length = seg.end(s) > seg.start(s) ? positions[seg.end(s) - 1] + 1 : 0;
            if (length > config.slidingWindow()) {
                throw new IllegalArgumentException(config.modelType() + ": sequence " + s + " reaches " + length
                        + " tokens, more than sliding_window " + config.slidingWindow()
                        + "; windowed attention is not supported, so keep sequences within the window");
            }
        }
    }

    private Tensor p(String name) {
        return params.get(name); // null for a bias or norm the config does not have
    }
}
