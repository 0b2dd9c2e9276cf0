package dev.align4j.io;

/**
 * JSON string literals written the way the Hugging Face tools write them, byte for byte: Python's
 * {@code json.dumps} (config.json, index files; {@code ensure_ascii} escapes everything outside
 * printable ASCII) and Rust's serde_json (safetensors headers: only quotes, backslashes and control
 * characters escaped).
 */
public final class JsonText {
    private JsonText() {}

    /** Appends {@code s} as a JSON string literal; {@code ensureAscii} as Python's json.dumps flag. */
    public static void quote(StringBuilder sb, String s, boolean ensureAscii) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7E)) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
