package dev.align4j.io.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Hugging Face tokenizer folder: {@code tokenizer.json} run by the native Hugging Face
 * tokenizers library (through DJL's {@link HuggingFaceTokenizer}), plus the special tokens, flags
 * and chat templates of {@code tokenizer_config.json} ({@link TokenizerConfig}).
 *
 * <p>Not a chat formatter (see {@code dev.align4j.io.chat.ChatTemplate}), not a trainer of
 * tokenizers, and it never truncates or pads: DJL truncates to 512 tokens unless told otherwise,
 * so this class turns truncation and padding off, and callers decide what to do with long texts.
 * It does not read generation_config.json.
 *
 * <p>Based on transformers' fast tokenizers ({@code PreTrainedTokenizerFast} / v5
 * {@code TokenizersBackend}): {@code encode(text, add_special_tokens)} is the Rust
 * {@code Tokenizer::encode} (special-token text in the input, such as {@code <|im_end|>}, always
 * maps to its id; the flag only runs tokenizer.json's post-processor, which adds BOS for Llama or
 * Gemma); {@code decode(ids, skip_special_tokens)} is the Rust decode followed, when the config sets
 * {@code clean_up_tokenization_spaces}, by transformers' {@code clean_up_tokenization}. The
 * post-processor is taken from tokenizer.json as written; {@link TokenizerConfig#addBosToken()}
 * and {@link TokenizerConfig#addEosToken()} are reported, not re-applied (transformers' Llama and
 * Gemma classes rebuild the post-processor from them, which agrees whenever the folder is
 * consistent, as all tested folders are).
 *
 * <p>Native library: DJL extracts it from its jar into {@code ~/.djl.ai/tokenizers} on first use
 * (set {@code DJL_CACHE_DIR} to move that folder); no network access is needed. DJL would also
 * "call home" with telemetry on EC2 machines; this class sets the system property
 * {@code OPT_OUT_TRACKING=true} unless the user set it or the environment variable of that name.
 * Encoding is thread-safe; a closed tokenizer must not be used.
 */
public final class Tokenizer implements AutoCloseable {
    static {
        if (System.getenv("OPT_OUT_TRACKING") == null && System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    /** Options for DJL: no truncation, no padding; special tokens are chosen per call. */
    private static final Map<String, String> NATIVE_OPTIONS =
            Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false");

    private final Path folder;
    private final HuggingFaceTokenizer nativeTokenizer;
    private final Vocabulary vocabulary;
    private final TokenizerConfig config;

    private Tokenizer(Path folder, HuggingFaceTokenizer nativeTokenizer, Vocabulary vocabulary, TokenizerConfig config) {
        this.folder = folder;
        this.nativeTokenizer = nativeTokenizer;
        this.vocabulary = vocabulary;
        this.config = config;
    }

    /**
     * Loads {@code folder/tokenizer.json} and {@code folder/tokenizer_config.json}.
     *
     * @throws IllegalArgumentException naming the file when the folder has no tokenizer.json, a file
     *                                  is not valid JSON, or a special token of the config is not in
     *                                  the vocabulary
     */
    public static Tokenizer load(Path folder) {
        Path file = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("No tokenizer.json in " + folder.toAbsolutePath()
                    + ": expected a Hugging Face tokenizer folder (tokenizer.json, tokenizer_config.json)");
        }
        TokenizerConfig config = TokenizerConfig.read(folder);
        Vocabulary vocabulary;
        try {
            vocabulary = Vocabulary.read(file);
        } catch (IOException e) { // includes JSON syntax errors, which name the line
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
        }
        for (var e : config.specialTokens().entrySet()) {
            if (vocabulary.id(e.getValue()).isEmpty()) {
                throw new IllegalArgumentException(config.source() + ": " + e.getKey() + " '" + e.getValue()
                        + "' is not a token of " + file + "; fix the config or add the token to tokenizer.json");
            }
        }
        HuggingFaceTokenizer nativeTokenizer;
        try {
            nativeTokenizer = HuggingFaceTokenizer.newInstance(file, NATIVE_OPTIONS);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + ": the tokenizers library cannot load it: " + e.getMessage(), e);
        }
        return new Tokenizer(folder, nativeTokenizer, vocabulary, config);
    }

    /** Token ids of {@code text}; {@code addSpecialTokens} runs the post-processor (BOS for Llama, Gemma). */
    public int[] encode(String text, boolean addSpecialTokens) {
        return toInts(nativeTokenizer.encode(text, addSpecialTokens, false).getIds());
    }

    /**
     * Token ids with the span of {@code text} each token covers, as Java {@code char} (UTF-16)
     * indices, so that {@code text.substring(start, end)} is the token's source text. Tokens the
     * post-processor adds cover (0, 0), as in transformers' offset mapping. (The tokenizers library
     * counts code points; the two differ only after characters outside the Basic Multilingual Plane.)
     */
    public Encoding encodeWithOffsets(String text, boolean addSpecialTokens) {
        var encoding = nativeTokenizer.encode(text, addSpecialTokens, false);
        int[] ids = toInts(encoding.getIds());
        CharSpan[] spans = encoding.getCharTokenSpans();
        int[] starts = new int[ids.length];
        int[] ends = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (spans[i] != null) {
                starts[i] = text.offsetByCodePoints(0, spans[i].getStart());
                ends[i] = text.offsetByCodePoints(0, spans[i].getEnd());
            }
        }
        return new Encoding(ids, starts, ends);
    }

    /**
     * The text of {@code ids}; {@code skipSpecialTokens} drops special tokens (BOS, {@code <|im_end|>}...).
     *
     * @throws IllegalArgumentException when an id is not in the vocabulary
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (vocabulary.token(ids[i]) == null) {
                throw new IllegalArgumentException("decode: id " + ids[i] + " at position " + i
                        + " is not in the vocabulary of " + folder + " (" + vocabulary.size() + " tokens)");
            }
            longs[i] = ids[i];
        }
        String text = nativeTokenizer.decode(longs, skipSpecialTokens);
        return config.cleanUpTokenizationSpaces() ? cleanUpTokenization(text) : text;
    }

    /** transformers' {@code clean_up_tokenization}: drops spaces before punctuation and English contractions. */
    static String cleanUpTokenization(String text) {
        return text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** The id of a token string (added tokens first, then the model's vocabulary). */
    public OptionalInt tokenToId(String token) {
        return vocabulary.id(token);
    }

    /** The token string of an id, empty when no token has it. */
    public Optional<String> idToToken(int id) {
        return Optional.ofNullable(vocabulary.token(id));
    }

    /** Number of distinct tokens, added tokens included: Python's {@code len(tokenizer)}. */
    public int vocabSize() {
        return vocabulary.size();
    }

    public OptionalInt bosTokenId() {
        return specialTokenId("bos_token");
    }

    public OptionalInt eosTokenId() {
        return specialTokenId("eos_token");
    }

    public OptionalInt padTokenId() {
        return specialTokenId("pad_token");
    }

    public OptionalInt unkTokenId() {
        return specialTokenId("unk_token");
    }

    /** The id of a named special token of the config, for example {@code "eos_token"}. */
    public OptionalInt specialTokenId(String name) {
        return config.token(name).map(vocabulary::id).orElse(OptionalInt.empty());
    }

    /** Named special tokens (name to token string), the variables chat templates see. */
    public Map<String, String> specialTokens() {
        return config.specialTokens();
    }

    public TokenizerConfig config() {
        return config;
    }

    public Path folder() {
        return folder;
    }

    /** Frees the native tokenizer. */
    @Override
    public void close() {
        nativeTokenizer.close();
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }
}
