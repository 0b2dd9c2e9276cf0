package dev.align4j.io.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The token/id tables of a {@code tokenizer.json}: the model's vocabulary plus the added tokens,
 * read with a streaming JSON parser (Gemma 3's file is 33 MB; the merges are skipped unread).
 *
 * <p>Not a tokenizer: the native Hugging Face tokenizers library does the encoding; this only
 * answers {@code token_to_id}, {@code id_to_token} and the vocabulary size, which DJL does not
 * expose.
 *
 * <p>Based on the tokenizers library's file format and lookups ({@code tokenizers/src/tokenizer}):
 * {@code model.vocab} is an object {@code {token: id}} for BPE, WordPiece and WordLevel models and
 * a list of {@code [token, score]} pairs (id = position) for Unigram; {@code added_tokens} is a
 * list of {@code {"id", "content", "special", ...}}. Added tokens take precedence in both
 * directions (a model token whose id an added token reuses still maps to that id, as in
 * {@code AddedVocabulary::token_to_id}), and the size counts distinct tokens, added ones included, as
 * {@code get_vocab_size(with_added_tokens=True)} (= Python {@code len(tokenizer)}) does.
 */
final class Vocabulary {
    private final Map<String, Integer> ids;
    private final String[] tokens; // (maxId + 1), null where no token has the id

    private Vocabulary(Map<String, Integer> ids, String[] tokens) {
        this.ids = ids;
        this.tokens = tokens;
    }

    OptionalInt id(String token) {
        Integer id = ids.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The token with this id, or null. */
    String token(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    int size() {
        return ids.size();
    }

    static Vocabulary read(Path file) throws IOException {
        Map<String, Integer> model = new HashMap<>();
        Map<String, Integer> added = new HashMap<>();
        // Vocabulary keys arrive as field names: canonicalizing 262k of them costs more than it saves.
        JsonFactory factory = JsonFactory.builder().disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).build();
        try (JsonParser p = factory.createParser(file.toFile())) {
            expect(p, p.nextToken(), JsonToken.START_OBJECT, file, "the top level");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("model") && value == JsonToken.START_OBJECT) {
                    readModel(p, file, model);
                } else if (field.equals("added_tokens") && value == JsonToken.START_ARRAY) {
                    readAddedTokens(p, file, added);
                } else {
                    p.skipChildren();
                }
            }
        }
        Map<String, Integer> all = new HashMap<>(model);
        all.putAll(added);
        int maxId = all.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        String[] tokens = new String[maxId + 1];
        model.forEach((token, id) -> tokens[id] = token);
        added.forEach((token, id) -> tokens[id] = token);
        return new Vocabulary(all, tokens);
    }

    private static void readModel(JsonParser p, Path file, Map<String, Integer> out) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (!field.equals("vocab")) {
                p.skipChildren();
            } else if (value == JsonToken.START_OBJECT) { // BPE, WordPiece, WordLevel: {token: id}
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String token = p.currentName();
                    expect(p, p.nextToken(), JsonToken.VALUE_NUMBER_INT, file, "model.vocab[\"" + token + "\"]");
                    out.put(token, checkedId(p, file));
                }
            } else if (value == JsonToken.START_ARRAY) { // Unigram: [[token, score], ...]
                int id = 0;
                while (p.nextToken() == JsonToken.START_ARRAY) {
                    expect(p, p.nextToken(), JsonToken.VALUE_STRING, file, "model.vocab[" + id + "][0]");
                    out.put(p.getText(), id++);
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        p.skipChildren();
                    }
                }
            } else {
                throw new IllegalArgumentException(file + ": model.vocab must be an object or a list, at line "
                        + p.currentLocation().getLineNr());
            }
        }
    }

    private static void readAddedTokens(JsonParser p, Path file, Map<String, Integer> out) throws IOException {
        for (int i = 0; p.nextToken() == JsonToken.START_OBJECT; i++) {
            Integer id = null;
            String content = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "id" -> {
                        expect(p, value, JsonToken.VALUE_NUMBER_INT, file, "added_tokens[" + i + "].id");
                        id = checkedId(p, file);
                    }
                    case "content" -> {
                        expect(p, value, JsonToken.VALUE_STRING, file, "added_tokens[" + i + "].content");
                        content = p.getText();
                    }
                    default -> p.skipChildren();
                }
            }
            if (id == null || content == null) {
                throw new IllegalArgumentException(file + ": added_tokens[" + i + "] needs an integer 'id' and a string"
                        + " 'content' (before line " + p.currentLocation().getLineNr() + ")");
            }
            out.put(content, id);
        }
    }

    private static int checkedId(JsonParser p, Path file) throws IOException {
        long id = p.getLongValue();
        if (id < 0 || id >= Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(file + ": token id " + id + " out of range at line "
                    + p.currentLocation().getLineNr());
        }
        return (int) id;
    }

    private static void expect(JsonParser p, JsonToken actual, JsonToken expected, Path file, String where) {
        if (actual != expected) {
            throw new IllegalArgumentException(file + ": expected " + describe(expected) + " for " + where
                    + ", found " + describe(actual) + " at line " + p.currentLocation().getLineNr());
        }
    }

    private static String describe(JsonToken token) {
        return token == null ? "end of file" : token.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
