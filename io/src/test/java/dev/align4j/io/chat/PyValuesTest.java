package dev.align4j.io.chat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Python's repr/str and json.dumps as chat templates see them. Expected strings are CPython
 * 3.11's output for the same values ({@code repr(x)}, {@code json.dumps(x, ...)}).
 */
class PyValuesTest {
    /** {"a": {"b": [1, 2.5, None, True]}, "c": "é\"\\\n\x01<script>&'", "t": "東京 😀"} */
    static Map<String, Object> sample() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("b", Arrays.asList(1, 2.5, null, true));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", inner);
        m.put("c", "é\"\\\n\u0001<script>&'");
        m.put("t", "東京 😀");
        return m;
    }

    @Test
    void floatReprMatchesPython() {
        double[] values = {0.1, 1.0 / 3, 1e22, 1e15, 1e16, 123.0, -0.0, 5e-324, Double.MAX_VALUE, 0.0001, 0.00001234,
                2.5, 100.0, 1e-7, 123456789.123};
        String[] python = {"0.1", "0.3333333333333333", "1e+22", "1000000000000000.0", "1e+16", "123.0", "-0.0",
                "5e-324", "1.7976931348623157e+308", "0.0001", "1.234e-05", "2.5", "100.0", "1e-07", "123456789.123"};
        for (int i = 0; i < values.length; i++) {
            assertEquals(python[i], PyValues.floatRepr(values[i], false), "repr(" + values[i] + ")");
        }
        assertEquals("nan inf -inf", PyValues.floatRepr(Double.NaN, false) + " " + PyValues.floatRepr(1 / 0.0, false)
                + " " + PyValues.floatRepr(-1 / 0.0, false));
    }

    @Test
    void reprMatchesPython() {
        List<Object> values = new ArrayList<>(List.of("it's", "say \"hi\"", "both ' \"", "tab\t", "nl\n", "bell\u0007",
                "é😀", "\u200b"));
        values.add(null);
        values.addAll(List.of(true, 1.5, 2.0));
        assertEquals("[\"it's\", 'say \"hi\"', 'both \\' \"', 'tab\\t', 'nl\\n', 'bell\\x07', 'é😀', '\\u200b', None,"
                + " True, 1.5, 2.0]", PyValues.repr(values));
        assertEquals("{'k': ('a', 1)}", PyValues.repr(Map.of("k", Map.entry("a", 1))));
        assertEquals("", PyValues.str(null));
        assertEquals("x", PyValues.str("x"));
    }

    @Test
    void tojsonMatchesPythonJsonDumps() {
        assertEquals("{\"a\": {\"b\": [1, 2.5, null, true]}, \"c\": \"é\\\"\\\\\\n\\u0001<script>&'\", \"t\": \"東京 😀\"}",
                PyValues.toJson(sample(), false, null, null, false));
        assertEquals("{\"a\": {\"b\": [1, 2.5, null, true]}, \"c\": \"\\u00e9\\\"\\\\\\n\\u0001<script>&'\","
                        + " \"t\": \"\\u6771\\u4eac \\ud83d\\ude00\"}",
                PyValues.toJson(sample(), true, null, null, false));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", List.of(1, 2));
        m.put("a", Map.of());
        m.put("c", List.of());
        assertEquals("{\n  \"b\": [\n    1,\n    2\n  ],\n  \"a\": {},\n  \"c\": []\n}", PyValues.toJson(m, false, "  ", null, false));
        Map<String, Object> ba = new LinkedHashMap<>();
        ba.put("b", 1);
        ba.put("a", 2);
        assertEquals("{\"a\":2,\"b\":1}", PyValues.toJson(ba, false, null, new String[] {",", ":"}, true));
        assertEquals("[NaN, Infinity, -Infinity]", PyValues.toJson(List.of(Double.NaN, 1 / 0.0, -1 / 0.0), false, null, null, false));
        assertThrows(RenderError.class, () -> PyValues.toJson(List.of(new Object()), false, null, null, false));
    }

    @Test
    void tojsonFilterTakesTransformersKeywords() {
        ChatTemplate t = ChatTemplate.of("{{ tools[0]|tojson }}|{{ tools[0]|tojson(indent=2) }}|{{ tools[0]|tojson(sort_keys=true) }}"
                        + "|{{ tools[0]|tojson(ensure_ascii=true) }}|{{ tools[0]|tojson(separators=(',', ':')) }}",
                Path.of("t"), Map.of(), ChatTemplate.Limits.DEFAULT);
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("name", "f");
        tool.put("d", "é");
        assertEquals("{\"name\": \"f\", \"d\": \"é\"}|{\n  \"name\": \"f\",\n  \"d\": \"é\"\n}|{\"d\": \"é\", \"name\": \"f\"}"
                        + "|{\"name\": \"f\", \"d\": \"\\u00e9\"}|{\"name\":\"f\",\"d\":\"é\"}",
                t.render(List.of(Map.of("role", "user")), List.of(tool), false, Map.of()));
        var e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.of("{{ x|tojson(separators=1) }}",
                Path.of("t"), Map.of(), ChatTemplate.Limits.DEFAULT).render(List.of(), false));
        assertTrue(e.templateMessage().contains("separators must be an (item_separator, key_separator) pair"));
    }
}
