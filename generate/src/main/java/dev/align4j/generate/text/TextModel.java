package dev.align4j.generate.text;

import dev.align4j.io.chat.ChatTemplate;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.io.hf.LoadedModel;
import dev.align4j.io.peft.PeftAdapters;
import dev.align4j.io.tokenizer.Tokenizer;
import dev.align4j.models.CausalLM;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A model folder ready for text in, text out: the model, its tokenizer, its chat template (if it has
 * one) and its generation config, with the prompt encodings vLLM uses.
 *
 * <p>A plain prompt is encoded as {@code tokenizer(prompt)} — with the tokenizer's special tokens, so
 * Llama-style models get their BOS; a conversation is rendered by the chat template with the
 * generation prompt and encoded without adding special tokens (the template wrote them), as
 * {@code apply_chat_template(messages, add_generation_prompt=True, tokenize=True)} does. The ids that
 * end a completion are the generation config's {@code eos_token_id}s and the tokenizer's eos token,
 * as vLLM stops on both. What it is not: a generator (see {@link dev.align4j.generate.Generator}).
 *
 * @param name       the model's name for clients: the folder's file name
 * @param loaded     the model as loaded
 * @param tokenizer  the folder's tokenizer
 * @param template   the folder's chat template, when the tokenizer config has one
 * @param generation the folder's generation config
 */
public record TextModel(String name, LoadedModel loaded, Tokenizer tokenizer, Optional<ChatTemplate> template,
                        GenerationConfig generation) implements AutoCloseable {

    /**
     * Loads a Hugging Face model folder with its tokenizer.
     *
     * @throws IllegalArgumentException when the folder has no tokenizer.json, or a file is malformed
     */
    public static TextModel load(Path folder, LoadOptions options) throws IOException {
        return load(folder, options, null);
    }

    /**
     * Loads a model folder with a PEFT LoRA adapter attached (none when {@code adapter} is null): the
     * adapter's update is added inside each adapted layer, the base weights untouched (vLLM's
     * {@code --lora-modules}, PEFT's {@code PeftModel.from_pretrained}).
     */
    public static TextModel load(Path folder, LoadOptions options, Path adapter) throws IOException {
        if (!Files.isRegularFile(folder.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException(folder + ": no tokenizer.json; text generation needs the model's tokenizer "
                    + "(give prompt_ids to generate from token ids)");
        }
        LoadedModel loaded = HfModels.load(folder, options);
        if (adapter != null) PeftAdapters.load(loaded.model(), adapter);
        Tokenizer tokenizer = Tokenizer.load(folder);
        Optional<ChatTemplate> template = tokenizer.config().chatTemplate().isPresent()
                ? Optional.of(ChatTemplate.of(tokenizer)) : Optional.empty();
        Path name = folder.toAbsolutePath().normalize().getFileName();
        return new TextModel(name == null ? folder.toString() : name.toString(), loaded, tokenizer, template,
                GenerationConfig.read(folder));
    }

    /** The model. */
    public CausalLM model() {
        return loaded.model();
    }

    /** {@code tokenizer(prompt)}: the prompt's ids with the tokenizer's special tokens (BOS). */
    public int[] encode(String prompt) {
        return tokenizer.encode(prompt, true);
    }

    /**
     * The ids of a conversation rendered with the generation prompt.
     *
     * @throws IllegalArgumentException when the model has no chat template, or the template fails on the messages
     */
    public int[] encodeChat(List<? extends Map<String, ?>> messages) {
        ChatTemplate chat = template.orElseThrow(() -> new IllegalArgumentException(loaded.folder()
                + ": the tokenizer config has no chat_template, so messages cannot be rendered; give a plain prompt"));
        return ChatTemplate.tokenizeRendered(tokenizer, chat.render(messages, true));
    }

    /** The ids that end a completion: the generation config's eos ids, then the tokenizer's eos token. */
    public int[] stopTokenIds() {
        Set<Integer> ids = new LinkedHashSet<>(generation.eosTokenIds());
        tokenizer.eosTokenId().ifPresent(ids::add);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The last {@code keep} ids of a prompt (vLLM's {@code truncate_prompt_tokens}): left truncation,
     * which keeps the text nearest the completion.
     */
    public static int[] keepLast(int[] ids, int keep) {
        if (keep < 1) throw new IllegalArgumentException("truncate_prompt_tokens must be >= 1, got " + keep);
        return ids.length <= keep ? ids : Arrays.copyOfRange(ids, ids.length - keep, ids.length);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
