package dev.align4j.train.grpo;

/**
 * A handle on one GRPO micro-batch: which generation round of which epoch, which pass over it
 * ({@code num_iterations}), which of its {@code steps_per_generation} slices. The round itself is
 * generated when the loop first asks for it ({@link GrpoRollouts#round}).
 */
record GrpoBatch(int epoch, int round, int iteration, int slice) {}
