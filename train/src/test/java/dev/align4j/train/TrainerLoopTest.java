package dev.align4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadedModel;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared loop on a tiny Llama and a language-modelling loss: learning, resume, checkpoints, failures, logs. */
class TrainerLoopTest {
    static final Progress QUIET = new Progress.Lines(new java.io.PrintWriter(OutputStream.nullOutputStream()));

    /** A packed batch and its next-token labels. */
    record LmBatch(PackedBatch batch, int[] labels) {}

    /** Summed next-token negative log-likelihood; fails on the step given, to stand in for a crash. */
    static final class Lm implements Objective<LmBatch> {
        final CausalLM model;
        IntPredicate crashAtCall = i -> false;
        int calls;

        Lm(CausalLM model) {
            this.model = model;
        }

        @Override
        public long items(LmBatch b) {
            long n = 0;
            for (int l : b.labels) if (l != PackedBatch.IGNORE) n++;
            return n;
        }

        @Override
        public long tokens(LmBatch b) {
            return b.batch.size();
        }

        @Override
        public Loss loss(LmBatch b) {
            if (crashAtCall.test(++calls)) throw new IllegalStateException("simulated crash");
            Tensor logp = model.tokenLogProbs(b.batch, b.labels);
            return new Loss(Elementwise.neg(Reductions.sum(logp)), Map.of());
        }
    }

    static LoadedModel model(Path dir, long seed) throws IOException {
        CausalLM m = LlamaModel.random(LlamaConfig.tiny("llama", 37, 16, 2, 2, 1), seed, 0.2);
        Path folder = dir.resolve("base-" + seed);
        HfModels.save(m, folder, SaveOptions.defaults());
        return HfModels.load(folder);
    }

    /** Eight sequences in batches of two, shuffled per epoch with the seed: a function of the epoch. */
    static TrainerLoop.Data<LmBatch> data(int vocab) {
        List<int[]> sequences = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(1);
        for (int s = 0; s < 8; s++) {
            int[] seq = new int[5 + s];
            for (int t = 0; t < seq.length; t++) seq[t] = (3 * s + t * (s + 1)) % vocab;
            sequences.add(seq);
        }
        return epoch -> {
            List<int[]> order = new ArrayList<>(sequences);
            java.util.Collections.shuffle(order, new java.util.Random(42 + epoch));
            List<LmBatch> batches = new ArrayList<>();
            for (int i = 0; i < order.size(); i += 2) {
                PackedBatch b = PackedBatch.of(order.subList(i, i + 2));
                batches.add(new LmBatch(b, b.nextTokenLabels()));
            }
            return batches;
        };
    }

    static TrainingArguments args(Path out) {
        TrainingArguments a = new TrainingArguments();
        a.outputDir = out.toString();
        a.learningRate = 1e-2;
        a.gradientAccumulationSteps = 2;
        a.numTrainEpochs = 20;
        a.loggingSteps = 5;
        a.saveSteps = 7;
        a.warmupSteps = 3;
        return a;
    }

    static TrainerLoop<LmBatch> loop(TrainingArguments a, LoadedModel m, Lm objective) {
        return new TrainerLoop<>(a, m.model().parameters(), objective, data(m.model().vocabSize()), null, new FullModelState(m), QUIET);
    }

    @Test
    void aTinyModelLearnsTheTinyDatasetAndTheLogsFollowTrl(@TempDir Path dir) throws IOException {
        LoadedModel m = model(dir, 1);
        TrainingArguments a = args(dir.resolve("out"));
        a.numTrainEpochs = 60;
        a.loggingSteps = 15;
        a.saveSteps = 50;
        TrainerLoop.Result r = loop(a, m, new Lm(m.model())).run();
        assertEquals(120, r.globalStep(), "60 epochs of 4 batches, 2 per step");
        List<JsonNode> lines = new ArrayList<>();
        JsonLines.forEach(dir.resolve("out/metrics.jsonl"), l -> lines.add(l.json()));
        assertEquals(8, lines.size());
        JsonNode first = lines.getFirst(), last = lines.getLast();
        for (String key : new String[] {"loss", "grad_norm", "learning_rate", "epoch", "num_tokens", "step"}) assertTrue(first.has(key), key);
        assertEquals(15, first.get("step").asInt());
        assertEquals(7.5, first.get("epoch").asDouble(), 1e-12, "4 batches, 2 per step: 2 steps per epoch");
        assertEquals(60 * (5 + 6 + 7 + 8 + 9 + 10 + 11 + 12), last.get("num_tokens").asInt(), "every epoch feeds all 68 tokens");
        assertTrue(first.get("loss").asDouble() > 1.5, "starts near log(37) = 3.6: " + first);
        assertTrue(last.get("loss").asDouble() < 0.05, "memorises 8 sequences: " + last);
        JsonNode state = JsonLines.MAPPER.readTree(dir.resolve("out/trainer_state.json").toFile());
        assertEquals(120, state.get("global_step").asInt());
        assertEquals(8, state.get("log_history").size());
        assertTrue(Files.isRegularFile(dir.resolve("out/model.safetensors")) && Files.isRegularFile(dir.resolve("out/config.json")));
        assertTrue(Files.isDirectory(dir.resolve("out/checkpoint-100")));
        CausalLM reloaded = HfModels.load(dir.resolve("out")).model();
        assertArrayEquals(m.model().parameters().get("model.norm.weight").toArray(), reloaded.parameters().get("model.norm.weight").toArray());
    }

    /** A crash after checkpoint-7 and a resume from it end with the weights of a run that never stopped, bit for bit. */
    @Test
    void aCrashedRunResumedFromItsLastCheckpointEndsBitIdentical(@TempDir Path dir) throws IOException {
        LoadedModel straight = model(dir, 2);
        TrainingArguments a = args(dir.resolve("straight"));
        a.maxSteps = 12;
        loop(a, straight, new Lm(straight.model())).run();

        LoadedModel crashed = model(dir, 2);
        TrainingArguments b = args(dir.resolve("crashed"));
        b.maxSteps = 12;
        Lm crashing = new Lm(crashed.model());
        crashing.crashAtCall = call -> call == 2 * 9 + 1; // during step 10, after checkpoint-7
        assertThrows(IllegalStateException.class, () -> loop(b, crashed, crashing).run());
        assertTrue(Files.isDirectory(dir.resolve("crashed/checkpoint-7")));
        assertFalse(Files.exists(dir.resolve("crashed/model.safetensors")));

        LoadedModel resumed = model(dir, 3); // other weights: everything must come from the checkpoint
        TrainingArguments c = args(dir.resolve("crashed"));
        c.maxSteps = 12;
        c.resumeFromCheckpoint = "true";
        TrainerLoop.Result r = loop(c, resumed, new Lm(resumed.model())).run();
        assertEquals(12, r.globalStep());
        for (var e : straight.model().parameters().entrySet()) {
            assertArrayEquals(e.getValue().toArray(), resumed.model().parameters().get(e.getKey()).toArray(), e.getKey());
        }
        JsonNode history = JsonLines.MAPPER.readTree(dir.resolve("crashed/trainer_state.json").toFile()).get("log_history");
        assertEquals(List.of(5, 10, 12), java.util.stream.StreamSupport.stream(history.spliterator(), false)
                .map(n -> n.get("step").asInt()).toList(), "records of the crashed run after step 7 are gone");
    }

    @Test
    void aStopRequestSavesACheckpointAndTheRunCanResume(@TempDir Path dir) throws IOException {
        LoadedModel m = model(dir, 4);
        TrainingArguments a = args(dir.resolve("out"));
        a.maxSteps = 6;
        Lm objective = new Lm(m.model());
        TrainerLoop<LmBatch>[] holder = new TrainerLoop[1];
        objective.crashAtCall = call -> {
            if (call == 5) holder[0].requestStop(); // during step 3
            return false;
        };
        holder[0] = loop(a, m, objective);
        TrainerLoop.Result r = holder[0].run();
        assertTrue(r.stoppedEarly());
        assertEquals(3, r.globalStep());
        assertTrue(Files.isDirectory(dir.resolve("out/checkpoint-3")));
        a.resumeFromCheckpoint = dir.resolve("out/checkpoint-3").toString();
        assertEquals(6, loop(a, m, new Lm(m.model())).run().globalStep());
    }

    @Test
    void aNanLossStopsTheRunNamingTheStepAndSavesNothingOfIt(@TempDir Path dir) throws IOException {
        LoadedModel m = model(dir, 5);
        TrainingArguments a = args(dir.resolve("out"));
        a.learningRate = 1e30; // diverges at once
        a.warmupSteps = 0;
        a.maxGradNorm = 0;
        var e = assertThrows(IllegalStateException.class, () -> loop(a, m, new Lm(m.model())).run());
        assertTrue(e.getMessage().matches("step \\d+: the loss is (NaN|Infinity|-Infinity).*no checkpoint was saved"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out/checkpoint-7")));
    }

    /** A save that fails half way leaves no checkpoint-N folder; the next save clears its leftovers. */
    @Test
    void aFailedSaveLeavesNoCheckpoint(@TempDir Path dir) throws IOException {
        LoadedModel m = model(dir, 6);
        TrainingArguments a = args(dir.resolve("out"));
        a.maxSteps = 7;
        ModelState failing = new ModelState() {
            @Override
            public void save(Path folder) throws IOException {
                Files.writeString(folder.resolve("model.safetensors"), "half");
                throw new IOException("disk full");
            }

            @Override
            public void load(Path folder) {}
        };
        var loop = new TrainerLoop<>(a, m.model().parameters(), new Lm(m.model()), data(37), null, failing, QUIET);
        assertThrows(IOException.class, loop::run);
        assertFalse(Files.exists(dir.resolve("out/checkpoint-7")));
        assertTrue(Files.exists(dir.resolve("out/tmp-checkpoint-7")), "the temporary folder is what is left");
        a.maxSteps = 14;
        loop(a, m, new Lm(m.model())).run();
        assertTrue(Files.isDirectory(dir.resolve("out/checkpoint-7")) && Files.isDirectory(dir.resolve("out/checkpoint-14")));
        assertFalse(Files.exists(dir.resolve("out/tmp-checkpoint-7")));
    }

    @Test
    void saveTotalLimitKeepsTheNewest(@TempDir Path dir) throws IOException {
        LoadedModel m = model(dir, 7);
        TrainingArguments a = args(dir.resolve("out"));
        a.maxSteps = 9;
        a.saveSteps = 2;
        a.saveTotalLimit = 2;
        loop(a, m, new Lm(m.model())).run();
        assertEquals(List.of("checkpoint-6", "checkpoint-8"),
                Checkpoints.list(dir.resolve("out")).stream().map(p -> p.getFileName().toString()).toList());
    }
}
