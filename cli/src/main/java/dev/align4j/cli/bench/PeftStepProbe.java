package dev.align4j.cli.bench;

import dev.align4j.models.ChunkedLogProbs;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.Quantization;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.models.lora.LoraConfig;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.QuantType;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.kernels.Parallel;
import dev.align4j.tensor.optim.AdamW;
import dev.align4j.tensor.optim.ParamGroup;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The child process of {@code align4j bench peft}: builds a random Llama-family model with its frozen
 * base in one storage, attaches LoRA adapters to every linear layer, and times training steps on one
 * packed batch (forward, backward, AdamW on the adapters); prints one line of figures, including its
 * peak resident set from {@code /proc/self/status} (Linux).
 *
 * <p>What it is: the base is built tensor by tensor in its final form, never as a whole float32 model:
 * each tensor's N(0, 0.02) values (norm weights 1, biases 0.02 too; the same values whatever the base,
 * from a seed per tensor and chunk) are generated and at once kept as float32 ({@code f32}), rounded
 * to BF16 chunk by chunk for every matrix ({@code bf16}, as {@code LoadOptions.frozenBf16()} stores a
 * model), or, for {@code nf4}, quantised to NF4 with double quantisation (the QLoRA paper's recipe)
 * for the linear layers, one layer's float copy at a time, everything else float32 (QLoRA keeps the
 * weights it does not quantise in its compute type, float32 here, TRL's default). The step is
 * {@code SftTrainer}'s under LoRA: gradient checkpointing on (TRL's SFT default), the log-probs
 * through the tied head a chunk of tokens at a time ({@link ChunkedLogProbs}), the mean next-token
 * cross-entropy, AdamW on the adapters. Before anything is measured, the kernels are warmed up
 * on a tiny model of the same storage (not-yet-compiled Vector API code allocates every vector), the
 * heap is collected and the peak counter reset ({@code echo 5 > /proc/self/clear_refs}), so the peak
 * is the build and the steps on top of the JVM's resident baseline. What it is not: a trainer (no data,
 * schedule or checkpoints) nor a loader (no files).
 *
 * <p>Output, one line: {@code base=… build_s=… base_mb=… step_ms=…,… gc_ms_per_step=… tokens_per_s=…
 * loss_first=… loss_last=… peak_kb=… peak_reset=true|false}.
 */
public final class PeftStepProbe {
    private PeftStepProbe() {}

    /** {@code PeftStepProbe BASE HIDDEN INTERMEDIATE LAYERS HEADS KV_HEADS VOCAB SEQUENCES LENGTH RANK STEPS WARMUP_SECONDS}. */
    public static void main(String[] args) throws IOException {
        String base = args[0];
        int hidden = Integer.parseInt(args[1]), inter = Integer.parseInt(args[2]), layers = Integer.parseInt(args[3]);
        int heads = Integer.parseInt(args[4]), kvHeads = Integer.parseInt(args[5]), vocab = Integer.parseInt(args[6]);
        int sequences = Integer.parseInt(args[7]), length = Integer.parseInt(args[8]), rank = Integer.parseInt(args[9]);
        int steps = Integer.parseInt(args[10]);
        double warmupSeconds = Double.parseDouble(args[11]);

        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        do {
            Run warm = new Run(build(config(128, 352, 2, 4, 2, 512), base), rank, 1);
            warm.step(batch(2, 16, 512, 1));
        } while (System.nanoTime() < warmupEnd);
        System.gc();
        boolean reset = resetPeak();

        long start = System.nanoTime();
        LlamaModel model = build(config(hidden, inter, layers, heads, kvHeads, vocab), base);
        double buildSeconds = (System.nanoTime() - start) / 1e9;
        long baseBytes = 0;
        for (Tensor t : model.parameters().values()) baseBytes += bytes(t);
        Run run = new Run(model, rank, 2);
        PackedBatch batch = batch(sequences, length, vocab, 7);
        double[] ms = new double[steps + 1];
        double first = 0, last = 0;
        long gcMs = 0;
        for (int s = 0; s <= steps; s++) { // step 0 compiles the big shapes' paths: untimed
            long t0 = System.nanoTime(), gc0 = gcMillis();
            double loss = run.step(batch);
            ms[s] = (System.nanoTime() - t0) / 1e6;
            if (s > 0) gcMs += gcMillis() - gc0;
            if (s == 0) first = loss;
            last = loss;
        }
        double[] timed = Arrays.copyOfRange(ms, 1, ms.length);
        Arrays.sort(timed);
        double median = timed.length % 2 == 1 ? timed[timed.length / 2] : (timed[timed.length / 2 - 1] + timed[timed.length / 2]) / 2;
        StringBuilder times = new StringBuilder();
        for (int s = 1; s < ms.length; s++) times.append(s > 1 ? "," : "").append(String.format(Locale.ROOT, "%.0f", ms[s]));
        System.out.printf(Locale.ROOT, "base=%s build_s=%.1f base_mb=%.1f step_ms=%s gc_ms_per_step=%d tokens_per_s=%.1f "
                        + "loss_first=%.4f loss_last=%.4f peak_kb=%d peak_reset=%s%n", base, buildSeconds, baseBytes / 1e6, times,
                gcMs / steps, sequences * length / (median / 1e3), first, last, statusKb("VmHWM"), reset);
    }

    /** Qwen2's layout (q/k/v biases, tied embeddings) at the given sizes. */
    static LlamaConfig config(int hidden, int inter, int layers, int heads, int kvHeads, int vocab) {
        return new LlamaConfig("qwen2", vocab, hidden, inter, layers, heads, kvHeads, hidden / heads, 1e-6, 1e6, null, 32768,
                true, true, false, false, false, 0);
    }

    /** A training setup: LoRA r on every linear layer (alpha 2r, dropout 0.05: TRL's), AdamW at 2e-4. */
    private static final class Run {
        final LlamaModel model;
        final LoraModel lora;
        final AdamW optimizer;

        Run(LlamaModel model, int rank, long seed) {
            this.model = model;
            model.gradientCheckpointing(true);
            lora = LoraModel.attach(model, new LoraConfig(rank, 2 * rank, 0.05, List.of("all-linear"), false, List.of()), seed);
            optimizer = new AdamW(List.of(new ParamGroup(List.copyOf(lora.trainableParameters().values()), 0.0)), 2e-4);
        }

        /** Forward, backward and an AdamW step on the adapters; the mean next-token cross-entropy. */
        double step(PackedBatch batch) {
            lora.setDropoutSeed(batch.tokens().length);
            Tensor logp = ChunkedLogProbs.tokenLogProbs(model, model.hiddenStates(batch), batch.nextTokenLabels()).logProbs();
            Tensor loss = Elementwise.neg(Reductions.mean(logp));
            double value = loss.item();
            loss.backward();
            optimizer.stepAndZeroGrad(1f);
            return value;
        }
    }

    /** The model with its base in {@code base} storage, built one tensor at a time. */
    static LlamaModel build(LlamaConfig c, String base) {
        Set<String> linear = new HashSet<>();
        for (String p : LlamaModel.linearLayerPaths(c)) linear.add(p + ".weight");
        Quantization nf4 = new Quantization(QuantType.NF4, true);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        long seed = 0;
        for (var e : LlamaModel.parameterShapes(c).entrySet()) {
            String name = e.getKey();
            int[] shape = e.getValue();
            boolean matrix = shape.length == 2, norm = name.endsWith("norm.weight");
            long s = ++seed;
            Tensor t = switch (base) {
                case "f32" -> Tensor.of(values(s, Arrays.stream(shape).reduce(1, (a, b) -> a * b), norm), shape);
                case "bf16" -> matrix ? bf16(s, shape) : Tensor.of(values(s, shape[0], norm), shape);
                case "nf4" -> linear.contains(name) ? nf4.quantize(Tensor.of(values(s, shape[0] * shape[1], false), shape))
                        : Tensor.of(values(s, Arrays.stream(shape).reduce(1, (a, b) -> a * b), norm), shape);
                default -> throw new IllegalArgumentException("bench peft: base must be f32, bf16 or nf4, got " + base);
            };
            weights.put(name, t);
        }
        return new LlamaModel(c, weights);
    }

    /** Elements generated per chunk, each chunk from its own seed so chunks fill in parallel. */
    private static final int CHUNK = 1 << 16;

    /** {@code n} values N(0, 0.02) (1 + N(0, 0.02) for a norm), chunk k from seed (tensorSeed, k). */
    private static float[] values(long tensorSeed, int n, boolean norm) {
        float[] v = new float[n];
        fill(v, 0, tensorSeed, 0, n, norm);
        return v;
    }

    private static void fill(float[] v, int off, long tensorSeed, int firstChunk, int n, boolean norm) {
        int chunks = Math.ceilDiv(n, CHUNK);
        Parallel.forRange(chunks, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                SplittableRandom r = new SplittableRandom(tensorSeed * 1_000_003L + firstChunk + c);
                for (int i = c * CHUNK; i < Math.min(n, (c + 1) * CHUNK); i++) v[off + i] = (norm ? 1f : 0f) + (float) (0.02 * r.nextGaussian());
            }
        });
    }

    private static final ValueLayout.OfShort BF16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A frozen BF16 matrix of the same values, rounded to nearest even a chunk at a time (no float32 copy of it). */
    private static Tensor bf16(long tensorSeed, int[] shape) {
        int n = shape[0] * shape[1];
        MemorySegment bits = MemorySegment.ofArray(new short[n]);
        float[] chunk = new float[16 * CHUNK];
        for (int s = 0; s < n; s += chunk.length) {
            int len = Math.min(chunk.length, n - s);
            fill(chunk, 0, tensorSeed, s / CHUNK, len, false);
            for (int i = 0; i < len; i++) {
                int x = Float.floatToRawIntBits(chunk[i]);
                bits.set(BF16_LE, 2L * (s + i), (short) ((x + 0x7FFF + (x >>> 16 & 1)) >>> 16));
            }
        }
        return Tensor.frozenBf16(bits, shape);
    }

    /** Bytes a tensor's storage holds. */
    static long bytes(Tensor t) {
        return t.is4Bit() ? t.quant4Storage().bytes() : t.isBf16() ? 2L * t.numel() : 4L * t.numel();
    }

    /** {@code sequences} random sequences of {@code length} tokens, packed. */
    static PackedBatch batch(int sequences, int length, int vocab, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<int[]> seqs = new ArrayList<>();
        for (int s = 0; s < sequences; s++) seqs.add(rng.ints(length, 0, vocab).toArray());
        return PackedBatch.of(seqs);
    }

    /** Milliseconds the collectors have spent so far. */
    private static long gcMillis() {
        long ms = 0;
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) ms += Math.max(0, gc.getCollectionTime());
        return ms;
    }

    private static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    private static long statusKb(String field) throws IOException {
        return LoadRssProbe.statusKb(field);
    }
}
