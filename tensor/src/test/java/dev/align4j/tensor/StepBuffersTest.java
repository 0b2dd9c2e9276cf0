package dev.align4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

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
}
