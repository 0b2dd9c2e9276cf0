package dev.align4j.io.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.models.ScoreModel;
import dev.align4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads and saves score models (reward and value models) as Hugging Face sequence-classification
 * folders: {@code GPT2ForSequenceClassification}, {@code LlamaForSequenceClassification},
 * {@code Qwen2ForSequenceClassification}, ... with {@code num_labels} 1.
 *
 * <p>What it is: the backbone's tensors under the causal-LM class's names ({@code transformer.} or
 * {@code model.}), plus {@code score.weight} (1, C), no {@code lm_head.weight}; a config.json that
 * keeps every field of the config the backbone came from, with {@code architectures} naming the
 * sequence-classification class, {@code id2label}/{@code label2id} of one label (transformers
 * derives {@code num_labels} from them) and {@code pad_token_id}, which transformers needs to find
 * each sequence's last token. {@link #load} also takes a causal-LM folder, as transformers'
 * {@code AutoModelForSequenceClassification.from_pretrained} does: the output head is dropped and a
 * new score head drawn ({@link ScoreModel#newHead}, std {@code initializer_range}) — how TRL's
 * reward trainer starts.
 */
public final class ScoreModels {
    private ScoreModels() {}

    /**
     * A score model and where it came from.
     *
     * @param model   the model
     * @param config  the folder's config.json, whole
     * @param folder  where it was loaded from
     * @param newHead whether the head was drawn fresh (the folder held a causal LM)
     */
    public record Loaded(ScoreModel model, HfConfig config, Path folder, boolean newHead) {}

    /** Whether a config names a sequence-classification class in {@code architectures}. */
    public static boolean isSequenceClassifier(HfConfig config) {
        JsonNode archs = config.json().path("architectures");
        for (JsonNode a : archs) if (a.asText().endsWith("ForSequenceClassification")) return true;
        return false;
    }

    /**
     * Loads the score model of {@code folder}: a sequence-classification folder whole, or a causal
     * LM's transformer with a new head drawn from {@code seed}.
     *
     * @param padTokenId the pad token id to score with, or null for the config's {@code pad_token_id} (none when unset)
     * @throws IllegalArgumentException naming the folder when it has more than one label or lacks {@code score.weight}
     */
    public static Loaded load(Path folder, LoadOptions options, Integer padTokenId, long seed) throws IOException {
        Path configFile = folder.resolve(HfModels.CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new IllegalArgumentException(folder.toAbsolutePath() + ": no " + HfModels.CONFIG_FILE + "; expected a Hugging Face "
                    + "model folder (a reward model, or a causal LM to start one from)");
        }
        HfConfig config = HfConfig.read(configFile);
        boolean classifier = isSequenceClassifier(config);
        if (classifier && labels(config) != 1) {
            throw new IllegalArgumentException(configFile + ": the model has " + labels(config) + " labels (id2label); a reward or value "
                    + "model has num_labels 1, one score per sequence");
        }
        HfArchitecture arch = HfArchitecture.fromConfig(config).withoutOutputHead();
        HfModels.Read read = HfModels.read(folder, options, config, arch, List.of(ScoreModel.SCORE));
        Tensor head = read.setAside().get(ScoreModel.SCORE);
        if (head == null && classifier) {
            throw new IllegalArgumentException(folder + ": config.json names a sequence-classification model but the weights have no "
                    + ScoreModel.SCORE);
        }
        boolean fresh = head == null;
        if (fresh) head = ScoreModel.newHead(read.model().model().hiddenSize(), seed, config.getDouble("initializer_range", 0.02));
        Integer pad = padTokenId != null ? padTokenId : config.has("pad_token_id") ? config.getInt("pad_token_id") : null;
        return new Loaded(new ScoreModel(read.model().model(), head, pad), config, folder, fresh);
    }

    /** transformers' num_labels: the size of id2label when present, else num_labels, else its default 2. */
    private static int labels(HfConfig config) {
        JsonNode id2label = config.json().get("id2label");
        if (id2label != null && id2label.isObject()) return id2label.size();
        return config.getInt("num_labels", 2);
    }

    /**
     * Saves {@code model} into {@code folder} as a sequence-classification folder over {@code base},
     * the config its backbone was loaded with.
     *
     * @throws IllegalArgumentException when {@code base} describes another transformer than the model's
     */
    public static void save(ScoreModel model, HfConfig base, Path folder, SaveOptions options) throws IOException {
        HfArchitecture arch = HfArchitecture.fromConfig(base);
        if (!arch.withoutOutputHead().equals(HfArchitecture.of(model.backbone()))) {
            throw new IllegalArgumentException("ScoreModels.save: " + base.source() + " describes " + arch
                    + ", not this score model's transformer; pass the config it was loaded with");
        }
        ObjectNode config = ArchitectureWriter.write(arch, base, options.dtype());
        config.putArray("architectures").add(arch.sequenceClassificationClassName());
        config.putObject("id2label").put("0", "LABEL_0");
        config.putObject("label2id").put("LABEL_0", 0);
        config.remove("num_labels");
        if (model.padTokenId() != null) config.put("pad_token_id", model.padTokenId());
        HfModels.write(folder, model.parameters(), config, options);
    }
}
