package dev.align4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class StepBuffersTest {

    @Test
    void aStepTakesTheArraysOfTheStepBeforeItZeroed() {
        StepBuffers buffers = new StepBuffers();
        Tensor a, b;
        try (var step = buffers.open()) {
            a = Tensor.zeros(2, 3);
            b = Tensor.zeros(6);
            a.storage()[4] = 7f;
            b.storage()[0] = 9f;
        }
        try (var step = buffers.open()) {
            Tensor x = Tensor.zeros(3, 2), y = Tensor.zeros(6), z = Tensor.zeros(6);
            assertSame(b.storage(), x.storage(), "the last one lent of a length is taken first");
            assertSame(a.storage(), y.storage());
            assertNotSame(a.storage(), z.storage(), "two arrays of 6 were lent, a third is new");
            assertArrayEquals(new float[6], x.storage());
            assertArrayEquals(new float[6], y.storage());
        }
    }

    @Test
    void arraysTheLastStepDidNotTakeAreDropped() {
        StepBuffers buffers = new StepBuffers();
        Tensor a;
        try (var step = buffers.open()) {
            a = Tensor.zeros(5);
        }
        try (var step = buffers.open()) {
            Tensor.zeros(4); // the array of 5 stays free, not taken
        }
        try (var step = buffers.open()) {
            assertNotSame(a.storage(), Tensor.zeros(5).storage(), "held at most over one step");
        }
    }

    @Test
    void outsideAStepAndOnOtherThreadsArraysAreNew() throws InterruptedException {
        StepBuffers buffers = new StepBuffers();
        Tensor a;
        try (var step = buffers.open()) {
            a = Tensor.zeros(8);
        }
        assertNotSame(a.storage(), Tensor.zeros(8).storage(), "no step open: a new array");
        try (var step = buffers.open()) {
            Tensor[] other = new Tensor[1];
            Thread t = new Thread(() -> other[0] = Tensor.zeros(8));
            t.start();
            t.join();
            assertNotSame(a.storage(), other[0].storage(), "the step is open on this thread only");
            try (var inner = new StepBuffers().open()) {
                assertNotSame(a.storage(), Tensor.zeros(8).storage(), "an inner step has its own arrays");
            }
            assertSame(a.storage(), Tensor.zeros(8).storage(), "closing the inner step reopens the outer one");
        }
    }

    /**
     * A product's output is reused unzeroed and written whole: the second step's product, over the
     * first step's values, equals the same product outside any step — float32, BF16 and 4-bit B,
     * from the few-row kernels to the blocked ones.
     */
    @ParameterizedTest(name = "{0} B, m={1}, transB={2}")
    @CsvSource({"f32, 1, false", "f32, 7, true", "f32, 40, false", "bf16, 3, false", "bf16, 32, true", "bf16, 70, false",
            "nf4, 2, true", "nf4, 33, true"})
    void aProductsOutputIsReusedUnzeroedAndWrittenWhole(String dtype, int m, boolean transB) {
        int k = 128, n = 96;
        Tensor w = Tensor.randn(3, transB ? n : k, transB ? k : n);
        Tensor b = switch (dtype) {
            case "bf16" -> Tensor.frozenBf16(Bf16Fixtures.bits(w.storage()), w.shape());
            case "nf4" -> w.quantize4Bit(QuantType.NF4, false);
            default -> w;
        };
        Tensor first = Tensor.randn(1, m, k), second = Tensor.randn(2, m, k);
        float[] expected = Linalg.matmul(second, b, false, transB).storage().clone();
        StepBuffers buffers = new StepBuffers();
        float[] stale;
        try (var step = buffers.open()) {
            stale = Linalg.matmul(first, b, false, transB).storage();
        }
        try (var step = buffers.open()) {
            Tensor out = Linalg.matmul(second, b, false, transB);
            assertSame(stale, out.storage(), "the first step's output is taken again");
            assertArrayEquals(expected, out.storage());
        }
    }

    /**
     * The other operations of an inference step take their outputs unzeroed too and write them
     * whole: each, run in a second step over the first step's output (filled with NaN, so a missed
     * element shows), equals the same operation on the same inputs outside any step.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stepOperations")
    void anOperationsOutputIsReusedUnzeroedAndWrittenWhole(String name, Function<Long, Tensor> operation) {
        float[] expected = operation.apply(2L).storage().clone();
        StepBuffers buffers = new StepBuffers();
        float[] stale;
        try (var step = buffers.open()) {
            stale = operation.apply(1L).storage();
            Arrays.fill(stale, Float.NaN);
        }
        try (var step = buffers.open()) {
            Tensor out = operation.apply(2L);
            assertSame(stale, out.storage(), "the first step's output is taken again");
            assertArrayEquals(expected, out.storage());
        }
    }

    /** Each operation of a decode step that makes a new float tensor, on inputs drawn from a seed (made outside the steps' buffers). */
    static Stream<Arguments> stepOperations() {
        return Stream.of(
                Arguments.of("gelu", (Function<Long, Tensor>) seed -> Elementwise.gelu(input(seed, 3, 40))),
                Arguments.of("silu", (Function<Long, Tensor>) seed -> Elementwise.silu(input(seed, 3, 40))),
                Arguments.of("add", (Function<Long, Tensor>) seed -> Elementwise.add(input(seed, 3, 40), input(seed + 10, 3, 40))),
                Arguments.of("mul", (Function<Long, Tensor>) seed -> Elementwise.mul(input(seed, 3, 40), input(seed + 10, 3, 40))),
                Arguments.of("mulScalar", (Function<Long, Tensor>) seed -> Elementwise.mulScalar(input(seed, 3, 40), 0.5f)),
                Arguments.of("layerNorm", (Function<Long, Tensor>) seed ->
                        Norms.layerNorm(input(seed, 3, 40), input(7, 40), input(8, 40), 1e-5f)),
                Arguments.of("rmsNorm", (Function<Long, Tensor>) seed -> Norms.rmsNorm(input(seed, 3, 40), input(7, 40), 1e-6f)),
                Arguments.of("permute", (Function<Long, Tensor>) seed -> ShapeOps.permute(input(seed, 3, 4, 10), 1, 0, 2)),
                Arguments.of("concat", (Function<Long, Tensor>) seed ->
                        ShapeOps.concat(List.of(input(seed, 3, 12), input(seed + 10, 3, 28)), 1)),
                Arguments.of("slice", (Function<Long, Tensor>) seed -> ShapeOps.slice(input(seed, 3, 120), 1, 40, 80)),
                Arguments.of("indexSelect", (Function<Long, Tensor>) seed -> ShapeOps.indexSelect(input(seed, 5, 40), 0, 4, 0, 4)),
                Arguments.of("expand", (Function<Long, Tensor>) seed -> ShapeOps.expand(input(seed, 1, 40), 3, 40)),
                Arguments.of("embedding", (Function<Long, Tensor>) seed -> Embedding.lookup(input(seed, 9, 40), new int[] {8, 1, 8})),
                Arguments.of("rope", (Function<Long, Tensor>) seed -> Rope.apply(input(seed, 3, 2, 20), new int[] {5, 6, 7}, 10_000.0)),
                Arguments.of("cached attention", (Function<Long, Tensor>) seed -> {
                    Tensor[] keys = {input(seed + 20, 6, 2, 20), input(seed + 21, 6, 2, 20)};
                    Tensor[] values = {input(seed + 30, 6, 2, 20), input(seed + 31, 6, 2, 20)};
                    return CachedAttention.attend(input(seed, 3, 4, 20), keys, values, new int[] {5, 2},
                            PackedSegments.ofLengths(2, 1), 0.2f);
                }));
    }

    private static Tensor input(long seed, int... shape) {
        try (var none = new StepBuffers().open()) { // an empty step: a new array, never one the test's steps lend
            return Tensor.randn(seed, shape);
        }
    }
}
