package dev.align4j.data;

/**
 * Which end of a sequence longer than {@code max_length} to keep.
 *
 * <p>Based on TRL's {@code truncation_mode} ({@code "keep_start"}, {@code "keep_end"}) of
 * {@code SFTConfig} and {@code trl/data_utils.py::truncate_dataset}.
 */
public enum TruncationMode {
    /** Keep the first max_length tokens (TRL's default for SFT). */
    KEEP_START,
    /** Keep the last max_length tokens. */
    KEEP_END
}
