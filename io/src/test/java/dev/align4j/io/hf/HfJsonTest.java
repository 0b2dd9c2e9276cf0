package dev.align4j.io.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Expected strings were printed by CPython 3 ({@code repr(x)}, {@code json.dumps(obj, indent=2, sort_keys=True)}). */
class HfJsonTest {

    @Test
    void floatsAreWrittenAsPythonRepr() {
        double[] values = {1e-05, 0.0001, 10000.0, 1e16, 1e15, 0.1, 1.0 / 3, -2.5e-7, Double.MAX_VALUE, Double.MIN_VALUE,
            0.0, -0.0, 123456789.0, 1.5e300, 0.02, 1e-6, 0x1p-24, 65504.0, 1e22, 9999999999999998.0};
        String[] python = {"1e-05", "0.0001", "10000.0", "1e+16", "1000000000000000.0", "0.1", "0.3333333333333333",
            "-2.5e-07", "1.7976931348623157e+308", "5e-324", "0.0", "-0.0", "123456789.0", "1.5e+300", "0.02", "1e-06",
            "5.960464477539063e-08", "65504.0", "1e+22", "9999999999999998.0"};
        for (int i = 0; i < values.length; i++) assertEquals(python[i], HfJson.pyFloat(values[i]), "repr of " + values[i]);
        assertEquals("NaN", HfJson.pyFloat(Double.NaN));
        assertEquals("-Infinity", HfJson.pyFloat(Double.NEGATIVE_INFINITY));
    }

    @Test
    void dumpsMatchesPythonIndentedSortedOutput() throws Exception {
        JsonNode node = new ObjectMapper().readTree(
                "{\"b\":[1,2,{}],\"a\":{\"y\":null,\"x\":true},\"\u00e9\":\"\u00fc\u007f\\n\\\"\\\\\uD83D\uDE00\",\"e\":[],"
                        + "\"f\":1e-05,\"g\":10000.0}");
        String python = """
                {
                  "a": {
                    "x": true,
                    "y": null
                  },
                  "b": [
                    1,
                    2,
                    {}
                  ],
                  "e": [],
                  "f": 1e-05,
                  "g": 10000.0,
                  "\\u00e9": "\\u00fc\\u007f\\n\\"\\\\\\ud83d\\ude00"
                }""";
        assertEquals(python, HfJson.dumps(node));
    }

    @Test
    void codePointOrderDiffersFromUtf16OrderAboveTheBmp() {
        String emoji = "\uD83D\uDE00"; // U+1F600, stored as surrogates 0xD83D 0xDE00
        String privateUse = "\uE000"; // U+E000
        assertTrue(emoji.compareTo(privateUse) < 0, "UTF-16 order puts the surrogate first");
        assertTrue(HfJson.compareCodePoints(emoji, privateUse) > 0, "code point order (Python, Rust) does not");
        List<String> keys = new ArrayList<>(List.of("b", "a.1", "a", "a.10", "a.2"));
        keys.sort(HfJson::compareCodePoints);
        assertEquals(List.of("a", "a.1", "a.10", "a.2", "b"), keys);
    }
}
