package dev.align4j.train.rewards;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import dev.align4j.train.rewards.RewardFunction.Sample;

/** Test samples: a completion with a row of string columns given as name, value pairs. */
final class Samples {
    private Samples() {}

    static Sample sample(String prompt, String completion, String... columns) {
        return sample(prompt, completion, 10, false, columns);
    }

    static Sample sample(String prompt, String completion, int length, boolean truncated, String... columns) {
        ObjectNode row = JsonLines.MAPPER.createObjectNode();
        for (int i = 0; i < columns.length; i += 2) row.put(columns[i], columns[i + 1]);
        return new Sample(prompt, completion, length, truncated, row);
    }

    static Sample ofLength(int length) {
        return sample("p", "c", length, false);
    }
}
