package dev.align4j.train.dpo;

import dev.align4j.data.Batch;
import dev.align4j.data.PreferenceExample;
import dev.align4j.data.PreferenceOptions;
import dev.align4j.data.SftExample;
import dev.align4j.data.TruncationMode;
import dev.align4j.io.Fixtures;
import dev.align4j.models.CausalLM;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.models.lora.LoraConfig;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.PackedSegments;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.Objective;
import dev.align4j.train.PreferenceData;
import dev.align4j.train.loss.CpoLoss;
import dev.align4j.train.loss.DpoLoss;
import dev.align4j.train.loss.DpoLossType;
import dev.align4j.train.loss.OrpoLoss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The pair objectives give a batch whose prompts are packed once (prefix sharing) the loss,
 * metrics and gradients of the same pairs packed whole: DPO with each kind of reference (a frozen
 * model, the LoRA base with adapters off, precomputed log-probs), and ORPO, CPO and SimPO.
 *
 * <p>The pairs have prompts of 1 (packed plainly), 2, 5 and 9 tokens and completions of 1 to 6
 * tokens, some sharing their first token.
 */
class SharedPromptObjectiveTest {
    static final int VOCAB = 32;

    static List<List<SftExample>> pairs(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<List<SftExample>> out = new ArrayList<>();
        for (int promptLength : new int[] {5, 1, 9, 2, 5}) {
            int[] prompt = r.ints(promptLength, 2, VOCAB).toArray();
            int[] chosen = r.ints(1 + r.nextInt(6), 2, VOCAB).toArray(), rejected = r.ints(1 + r.nextInt(6), 2, VOCAB).toArray();
            if (r.nextBoolean()) rejected[0] = chosen[0];
            out.add(List.of(sequence(prompt, chosen), sequence(prompt, rejected)));
        }
        return out;
    }

    static SftExample sequence(int[] prompt, int[] completion) {
        int[] ids = Arrays.copyOf(prompt, prompt.length + completion.length);
        System.arraycopy(completion, 0, ids, prompt.length, completion.length);
        boolean[] mask = new boolean[ids.length];
        Arrays.fill(mask, prompt.length, ids.length, true);
        return new SftExample(ids, mask);
    }

    static Batch unshared(List<List<SftExample>> pairs) {
        return Batch.of(pairs.stream().flatMap(List::stream).toList());
    }

    static CausalLM model(long seed) {
        return LlamaModel.random(LlamaConfig.tiny("llama", VOCAB, 16, 2, 4, 2), seed, 0.3);
    }

    /** The loss, the metric sums and the trainable parameters' gradients of one batch. */
    record Step(double loss, Map<String, Double> metrics, Map<String, float[]> grads) {}

    static Step step(Objective<Batch> objective, Map<String, Tensor> trainable, Batch b) {
        for (Tensor t : trainable.values()) t.zeroGrad();
        Objective.Loss l = objective.loss(b);
        l.sum().backward();
        Map<String, float[]> grads = new LinkedHashMap<>();
        trainable.forEach((k, v) -> grads.put(k, v.grad().toArray()));
        return new Step(l.sum().item(), l.metricSums(), grads);
    }

    /** Same loss, metrics and gradients, shared or not, and the shared batch is smaller. */
    static void assertSame(String what, Objective<Batch> objective, Map<String, Tensor> trainable, List<List<SftExample>> pairs) {
        Batch whole = unshared(pairs), shared = Batch.sharingPrompts(pairs);
        assertTrue(shared.size() < whole.size(), "prompts of 2 tokens and more are packed once");
        assertEquals(objective.items(whole), objective.items(shared));
        assertEquals(objective.tokens(whole), objective.tokens(shared), "tokens are counted as TRL counts them");
        Step expected = step(objective, trainable, whole), actual = step(objective, trainable, shared);
        assertEquals(expected.loss(), actual.loss(), 1e-5 * Math.max(1, Math.abs(expected.loss())), what + " loss");
        assertEquals(expected.metrics().keySet(), actual.metrics().keySet());
        expected.metrics().forEach((k, v) -> assertEquals(v, actual.metrics().get(k), 1e-5 * Math.max(1, Math.abs(v)), what + " " + k));
        for (String name : expected.grads().keySet()) {
            float[] e = expected.grads().get(name), a = actual.grads().get(name);
            double scale = 0;
            for (float x : e) scale = Math.max(scale, Math.abs(x));
            if (scale == 0) fail(what + " " + name + " has no gradient: the test would prove nothing");
            for (int i = 0; i < e.length; i++) {
                if (Math.abs(a[i] - e[i]) > 1e-6 + 1e-4 * scale) {
                    fail(what + " " + name + "[" + i + "]: shared " + a[i] + ", unshared " + e[i] + " (largest " + scale + ")");
                }
            }
        }
    }

    static DpoLoss.Options dpoOptions() { // sigmoid plus RPO's chosen NLL: both the pair sums and the token counts matter
        return new DpoLoss.Options(0.5, List.of(DpoLossType.SIGMOID, DpoLossType.IPO), List.of(1.0, 0.5), 0, false,
                OptionalDouble.of(0.3), false, 0.05);
    }

    static Map<String, Tensor> trainable(CausalLM m) {
        for (Tensor t : m.parameters().values()) t.requiresGrad(true);
        return m.parameters();
    }

    @Test
    void dpoWithAFrozenReference() {
        CausalLM policy = model(1);
        assertSame("dpo frozen", new DpoObjective(policy, new DpoObjective.Reference.Frozen(model(2)), dpoOptions()),
                trainable(policy), pairs(3));
    }

    @Test
    void dpoUnderLoraWithTheAdaptersOffAsReference() {
        CausalLM policy = model(1);
        LoraModel lora = LoraModel.attach(policy, new LoraConfig(2, 4, 0, List.of("all-linear"), false, List.of()), 5);
        SplittableRandom r = new SplittableRandom(6);
        lora.trainableParameters().forEach((name, b) -> { // trained adapters: the policy differs from the reference
            if (name.endsWith("lora_B.weight")) for (int i = 0; i < b.storage().length; i++) b.storage()[i] = (float) (0.3 * r.nextGaussian());
        });
        assertSame("dpo lora", new DpoObjective(policy, new DpoObjective.Reference.AdaptersOff(lora), dpoOptions()),
                lora.trainableParameters(), pairs(4));
    }

    /**
     * Precomputed on shared batches, looked up from whole ones and the other way round: the keys
     * and the cache file are the same for both packings.
     */
    @Test
    void dpoWithPrecomputedReferenceLogProbs(@TempDir Path dir) throws IOException {
        CausalLM policy = model(1), reference = model(2);
        List<List<SftExample>> pairs = pairs(7);
        DpoObjective live = new DpoObjective(policy, new DpoObjective.Reference.Frozen(reference), dpoOptions());
        List<Batch> shared = List.of(Batch.sharingPrompts(pairs.subList(0, 2)), Batch.sharingPrompts(pairs.subList(2, pairs.size())));
        ReferenceLogps.Loaded table = ReferenceLogps.cached(dir, "ref", shared, () -> live::referenceLogps);
        ReferenceLogps.Loaded again = ReferenceLogps.cached(dir, "ref", List.of(unshared(pairs)), () -> fail("the cache missed"));
        assertTrue(again.fromCache());
        assertEquals(table.file(), again.file(), "one cache file for either packing");
        var fromWhole = table.table().lookup(unshared(pairs));
        var computed = live.referenceLogps(unshared(pairs));
        assertArrayEquals(computed.chosen().toArray(), fromWhole.chosen().toArray(), 1e-5f);
        assertArrayEquals(computed.rejected().toArray(), fromWhole.rejected().toArray(), 1e-5f);
        assertArrayEquals(computed.chosenTokens(), fromWhole.chosenTokens());
        assertArrayEquals(computed.rejectedTokens(), fromWhole.rejectedTokens());
        assertSame("dpo precomputed", new DpoObjective(policy, new DpoObjective.Reference.Precomputed(table.table()), dpoOptions()),
                trainable(policy), pairs);
    }

    @Test
    void orpoCpoAndSimpo() {
        CausalLM policy = model(1);
        Map<String, Tensor> params = trainable(policy);
        assertSame("orpo", new PolicyPairObjective(policy, (batch, logps) -> {
            OrpoLoss.Result r = OrpoLoss.compute(0.2, logps);
            return new Objective.Loss(r.loss(), r.metricSums());
        }), params, pairs(8));
        for (CpoLoss.Options o : List.of(CpoLoss.Options.DEFAULT, new CpoLoss.Options(2, CpoLoss.Type.SIMPO, 0, 0, 0.5))) {
            assertSame("cpo " + o.lossType(), new PolicyPairObjective(policy, (batch, logps) -> {
                CpoLoss.Result r = CpoLoss.compute(o, logps);
                return new Objective.Loss(r.loss(), r.metricSums());
            }), params, pairs(9));
        }
    }

    /**
     * The recipes' batches share prompts (PreferenceData packs through Batch.sharingPrompts), but
     * not where keep_end truncation cuts the pair's sequences to different starts.
     */
    @Test
    void theRecipesBatchesSharePromptsWhereTheSequencesStartAlike() throws IOException {
        var pairs = List.of(new PreferenceExample(new int[] {3, 4, 5}, new int[] {6, 7}, new int[] {8}));
        Path tokenizer = Fixtures.path("models/stories260K");
        Batch b = PreferenceData.batch(pairs, PreferenceData.processor(tokenizer, PreferenceOptions.DEFAULT));
        assertEquals(PackedSegments.ofLengths(new int[] {2, 3, 2}, new int[] {-1, 0, 0}), b.packed().segments());
        assertEquals(2, b.sequences());
        Batch cut = PreferenceData.batch(pairs, PreferenceData.processor(tokenizer,
                PreferenceOptions.DEFAULT.withMaxLength(OptionalInt.of(4)).withTruncationMode(TruncationMode.KEEP_END)));
        assertEquals(PackedSegments.ofLengths(4, 4), cut.packed().segments(), "[4, 5, 6, 7] and [3, 4, 5, 8] start apart");
    }
}
