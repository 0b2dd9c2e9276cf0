package dev.align4j.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A frozen BF16 tensor's own methods: values widen, views stay BF16 and share memory, nothing writes or trains it. */
class Bf16TensorTest {

    private static final float[] VALUES = {1f, -2f, 0.5f, 3.25f, -0f, 1024f}; // exact in BF16

    private static Tensor sample() {
        return Tensor.frozenBf16(Bf16Fixtures.bits(VALUES), 2, 3).named("w");
    }

    @Test
    void valuesWidenExactly() {
        Tensor t = sample();
        assertTrue(t.isBf16());
        assertArrayEquals(VALUES, t.toArray());
        assertEquals(3.25f, t.get(1, 0));
        assertArrayEquals(VALUES, t.toFloat32().storage());
        assertFalse(t.toFloat32().isBf16());
        assertEquals("w", t.toFloat32().name());
        assertEquals(1024f, t.view(6).row(5).item());
        assertTrue(t.toString().contains("dtype=bf16") && t.toString().contains("3.2500"), t.toString());
    }

    @Test
    void viewsRowsAndDetachShareTheSegmentAndCopyDoesNot() {
        Tensor t = sample();
        assertTrue(t.view(3, 2).isBf16() && t.row(1).isBf16() && t.detach().isBf16() && ShapeOps.reshape(t, 6).isBf16());
        assertArrayEquals(new float[] {3.25f, -0f, 1024f}, t.row(1).toArray());
        assertTrue(t.bf16Storage().asOverlappingSlice(t.detach().bf16Storage()).isPresent());
        assertTrue(t.bf16Storage().asOverlappingSlice(t.row(1).bf16Storage()).isPresent());
        assertEquals(6L, t.row(1).bf16Storage().byteSize());
        Tensor copy = t.copy();
        assertTrue(copy.isBf16());
        assertArrayEquals(VALUES, copy.toArray());
        assertTrue(t.bf16Storage().asOverlappingSlice(copy.bf16Storage()).isEmpty(), "a copy shares nothing");
        assertTrue(copy.bf16Storage().isReadOnly() && t.bf16Storage().isReadOnly());
    }

    @Test
    void theStorageIsReadOnlyAndHasNoFloatArray() {
        Tensor t = sample();
        var set = assertThrows(IllegalArgumentException.class, () -> t.set(1f, 0, 0));
        assertTrue(set.getMessage().contains("w[2, 3]") && set.getMessage().contains("read-only"), set.getMessage());
        var storage = assertThrows(IllegalArgumentException.class, t::storage);
        assertTrue(storage.getMessage().contains("w[2, 3]") && storage.getMessage().contains("BF16"), storage.getMessage());
        var bf16 = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2).named("f").bf16Storage());
        assertTrue(bf16.getMessage().contains("f[2]") && bf16.getMessage().contains("float32"), bf16.getMessage());
        MemorySegment writable = Bf16Fixtures.bits(VALUES);
        Tensor.frozenBf16(writable, 6);
        assertFalse(writable.isReadOnly(), "the caller's segment is left as it was; the tensor keeps a read-only view");
    }

    @Test
    void requiresGradTrueOnBf16IsRejected() {
        Tensor t = sample();
        var e = assertThrows(IllegalArgumentException.class, () -> t.requiresGrad(true));
        assertTrue(e.getMessage().contains("frozen BF16 weights cannot be trained") && e.getMessage().contains("float32")
                && e.getMessage().contains("w[2, 3]"), e.getMessage());
        assertFalse(t.requiresGrad(false).requiresGrad());
    }

    @Test
    void aSegmentOfTheWrongSizeIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.frozenBf16(Bf16Fixtures.bits(VALUES), 7));
        assertTrue(e.getMessage().contains("12 bytes") && e.getMessage().contains("[7]"), e.getMessage());
    }
}
