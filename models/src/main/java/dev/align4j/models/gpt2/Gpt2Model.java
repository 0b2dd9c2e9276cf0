package dev.align4j.models.gpt2;

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
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GPT-2 in one file: learned positions, pre-LayerNorm blocks, fused q/k/v projection, tanh-GELU MLP,
 * output embedding tied to the input embedding.
 *
 * <p>Based on transformers' {@code modeling_gpt2.py} and nanoGPT's {@code model.py}. Weights keep
 * the Hub's names (with the {@code transformer.} prefix of {@code GPT2LMHeadModel}) and its Conv1D
 * layout {@code [in, out]}, so a projection is {@code x·W + b} with no transpose anywhere. What it
 * is not: dropout (post-training runs without it, as TRL's defaults do for GPT-2 fine-tuning with
 * {@code dropout=0}) or cross-attention. Training and generation share one forward pass
 * ({@code forward}); only the attention step differs ({@link LayerAttention}: packed causal, or
 * over a {@link KvCache}).
 */
public final class Gpt2Model implements CausalLM {
    private final Gpt2Config config;
    private final Map<String, Tensor> params;
    private final Tensor wte, wpe, lnFW, lnFB; // (V, C), (P, C), (C), (C)
    private final Block[] blocks;
    private final Tensor[][] blockParams; // each block's tensors, for gradient checkpointing
    private boolean gradientCheckpointing;

    private final Map<String, Linear> linears = new LinkedHashMap<>();

    private record Block(Tensor ln1W, Tensor ln1B, Linear attn, Linear proj, Tensor ln2W, Tensor ln2B, Linear fc, Linear mlpProj) {
        List<Linear> linears() {
            return List.of(attn, proj, fc, mlpProj);
        }
    }

    /** Builds the model on {@code weights}, named as {@link #parameterShapes} lists them (checked). */
    public Gpt2Model(Gpt2Config config, Map<String, Tensor> weights) {
        this.config = config;
        this.params = Weights.require("gpt2", weights, parameterShapes(config));
        wte = params.get("transformer.wte.weight");
        wpe = params.get("transformer.wpe.weight");
        lnFW = params.get("transformer.ln_f.weight");
        lnFB = params.get("transformer.ln_f.bias");
        blocks = new Block[config.nLayer()];
        for (int l = 0; l < blocks.length; l++) {
            String h = "transformer.h." + l + ".";
            blocks[l] = new Block(p(h + "ln_1.weight"), p(h + "ln_1.bias"), conv1d(h + "attn.c_attn"), conv1d(h + "attn.c_proj"),
                    p(h + "ln_2.weight"), p(h + "ln_2.bias"), conv1d(h + "mlp.c_fc"), conv1d(h + "mlp.c_proj"));
        }
        blockParams = Weights.byPrefix(params, "transformer.h.", blocks.length);
    }

    /** A model with random weights (see {@link Weights#random}). */
    public static Gpt2Model random(Gpt2Config config, long seed, double std) {
        return new Gpt2Model(config, Weights.random(parameterShapes(config), seed, std));
    }

    /** Every parameter's Hugging Face name and shape, in checkpoint order. */
    public static Map<String, int[]> parameterShapes(Gpt2Config c) {
        int C = c.nEmbd();
        Map<String, int[]> s = new LinkedHashMap<>();
        s.put("transformer.wte.weight", new int[] {c.vocabSize(), C});
        s.put("transformer.wpe.weight", new int[] {c.nPositions(), C});
        for (int l = 0; l < c.nLayer(); l++) {
            String h = "transformer.h." + l + ".";
            s.put(h + "ln_1.weight", new int[] {C});
            s.put(h + "ln_1.bias", new int[] {C});
            s.put(h + "attn.c_attn.weight", new int[] {C, 3 * C});
            s.put(h + "attn.c_attn.bias", new int[] {3 * C});
            s.put(h + "attn.c_proj.weight", new int[] {C, C});
            s.put(h + "attn.c_proj.bias", new int[] {C});
            s.put(h + "ln_2.weight", new int[] {C});
            s.put(h + "ln_2.bias", new int[] {C});
            s.put(h + "mlp.c_fc.weight", new int[] {C, c.nInner()});
            s.put(h + "mlp.c_fc.bias", new int[] {c.nInner()});
            s.put(h + "mlp.c_proj.weight", new int[] {c.nInner(), C});
            s.put(h + "mlp.c_proj.bias", new int[] {C});
        }
        s.put("transformer.ln_f.weight", new int[] {C});
        s.put("transformer.ln_f.bias", new int[] {C});
        return s;
    }

    /** The Conv1D layers of a block, in the order {@link #linearLayers} lists them. */
    private static final List<String> LINEAR_MODULES = List.of("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj");

    /**
     * The module paths of {@link #linearLayers} for {@code config}, known before any weight is: what a
     * loader quantising the linear layers ({@code load_in_4bit}) needs while it reads the checkpoint.
     */
    public static List<String> linearLayerPaths(Gpt2Config config) {
        List<String> paths = new ArrayList<>();
        for (int l = 0; l < config.nLayer(); l++) for (String m : LINEAR_MODULES) paths.add("transformer.h." + l + "." + m);
        return paths;
    }

    public Gpt2Config config() {
        return config;
    }

    @Override
    public String modelType() {
        return "gpt2";
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int hiddenSize() {
        return config.nEmbd();
    }

    @Override
    public Map<String, Tensor> parameters() {
        return params;
    }

    @Override
    public int contextLength() {
        return config.nPositions();
    }

    @Override
    public KvCache newKvCache() {
        return new KvCache(config.nLayer(), config.nHead(), config.headDim());
    }

    @Override
    public Tensor hiddenStates(PackedBatch batch) {
        checkPositions(batch);
        return forward(batch, LayerAttention.causal(batch.segments()));
    }

    @Override
    public Tensor hiddenStates(PackedBatch batch, KvCache cache, int[] slots) {
        checkPositions(batch);
        return forward(batch, cache.extend(batch, slots));
    }

    /** The one forward pass of both paths: embeddings, the blocks with {@code attention}, the final norm. */
    private Tensor forward(PackedBatch batch, LayerAttention attention) {
        Tensor x = Elementwise.add(Embedding.lookup(wte, batch.tokens()), Embedding.lookup(wpe, batch.positions())); // (T, C)
        for (int l = 0; l < blocks.length; l++) {
            int layer = l;
            x = gradientCheckpointing ? Autograd.checkpoint(x, h -> block(layer, h, attention),
                    Linear.withAdapters(blockParams[l], blocks[l].linears())) : block(l, x, attention);
        }
        return Norms.layerNorm(x, lnFW, lnFB, (float) config.layerNormEpsilon());
    }

    /** Block {@code l}: pre-norm attention and MLP, each added to the residual stream x (T, C). */
    private Tensor block(int l, Tensor x, LayerAttention attention) {
        int T = x.dim(0), C = config.nEmbd(), H = config.nHead(), D = config.headDim();
        float eps = (float) config.layerNormEpsilon();
        Block b = blocks[l];
        Tensor a = Norms.layerNorm(x, b.ln1W, b.ln1B, eps);
        Tensor qkv = b.attn.forward(a); // (T, 3C)
        Tensor q = ShapeOps.slice(qkv, 1, 0, C).view(T, H, D);
        Tensor k = ShapeOps.slice(qkv, 1, C, 2 * C).view(T, H, D);
        Tensor v = ShapeOps.slice(qkv, 1, 2 * C, 3 * C).view(T, H, D);
        Tensor y = attention.attend(l, q, k, v).view(T, C);
        x = Elementwise.add(x, b.proj.forward(y));
        Tensor m = Norms.layerNorm(x, b.ln2W, b.ln2B, eps);
        Tensor f = Elementwise.gelu(b.fc.forward(m)); // (T, 4C)
        return Elementwise.add(x, b.mlpProj.forward(f));
    }

    /** The Conv1D layer {@code path} ({@code path.weight} [in, out], {@code path.bias}), registered by name. */
    private Linear conv1d(String path) {
        Linear l = new Linear(path, p(path + ".weight"), p(path + ".bias"), Linear.Layout.IN_OUT);
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

    /** Checked before the cache is touched, so a rejected batch leaves it as it was. */
    private void checkPositions(PackedBatch batch) {
        int[] positions = batch.positions();
        for (int t = 0; t < positions.length; t++) {
            if (positions[t] >= config.nPositions()) {
                throw new IllegalArgumentException("gpt2: position " + positions[t] + " of token " + t
                        + " is past n_positions " + config.nPositions() + "; shorten the sequence");
            }
        }
    }

    @Override
    public Tensor lmHead(Tensor hidden) {
        return Linalg.matmul(hidden, wte, false, true); // (T, V): tied to wte
    }

    private Tensor p(String name) {
        return params.get(name);
    }
}
