package dev.align4j.tensor;

import dev.align4j.tensor.kernels.ElementwiseKernels;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Reverse-mode automatic differentiation, define-by-run.
 *
 * <p>Each op that runs while gradients are enabled and has a trainable input records a
 * {@link Node}: its name, its inputs and a closure that pushes the output's gradient back into
 * the inputs' gradient buffers ({@code +=}, so gradients accumulate). {@link Tensor#backward()}
 * walks the recorded graph in reverse topological order, then releases it, as PyTorch does
 * with {@code retain_graph=False}: interior gradients and closures are dropped, leaf gradients
 * stay. Not thread-safe: one graph is built and differentiated by one thread (kernels inside an
 * op may use many).
 */
public final class Autograd {
    private Autograd() {}

    /** One recorded op: the edge list of the graph and the backward to run. */
    public static final class Node {
        final String op;
        final Tensor[] inputs;
        final Runnable backward;

        Node(String op, Tensor[] inputs, Runnable backward) {
            this.op = op;
            this.inputs = inputs;
            this.backward = backward;
        }
    }

    private static final ThreadLocal<int[]> NO_GRAD_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    /** A scope in which ops record nothing: {@code try (var g = Autograd.noGrad()) { ... }}. */
    public static Scope noGrad() {
        NO_GRAD_DEPTH.get()[0]++;
        return () -> NO_GRAD_DEPTH.get()[0]--;
    }

    /** A no-grad scope; closing it restores recording. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** Whether ops record their backward on this thread. */
    public static boolean isGradEnabled() {
        return NO_GRAD_DEPTH.get()[0] == 0;
    }

    /** True when an op over {@code inputs} must record itself: gradients are on and some input needs one. */
    public static boolean needsGrad(Tensor... inputs) {
        if (!isGradEnabled()) return false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad()) return true;
        return false;
    }

    /**
     * Records {@code out} as produced by {@code op} from {@code inputs}, when {@link #needsGrad}.
     * The backward reads {@code out.gradOrNull()} and accumulates into the inputs that
     * {@link Tensor#requiresGrad()}; it runs only when some gradient reached {@code out}.
     */
    public static void record(Tensor out, String op, Runnable backward, Tensor... inputs) {
        if (!needsGrad(inputs)) return;
        out.attach(new Node(op, inputs, backward));
    }

    /**
     * The backward of an op whose output {@code out} is its input {@code target} seen anew, element
     * for element (a view, a bias added in place): {@code out}'s gradient goes to {@code target}
     * whole. The first to reach an interior tensor without a gradient becomes its gradient — the
     * array itself, which the graph drops from {@code out} right after this node — so no zeroed
     * buffer is allocated and added to (GPT-2 124M at B=4×T=64: 85 MB of such buffers a step);
     * later ones are added as {@link #accumulate} adds them. A leaf keeps a buffer of its own.
     */
    static void passThrough(Tensor target, Tensor out) {
        float[] g = out.gradOrNull();
        if (!target.requiresGrad() || g == null) return;
        if (target.node != null && target.gradOrNull() == null && g.length == target.numel()) target.adoptGrad(g);
        else accumulate(target, g, 0);
    }

    /** Adds {@code grad} into {@code target}'s gradient at {@code targetOffset}, if it wants one. */
    public static void accumulate(Tensor target, float[] grad, int targetOffset) {
        if (!target.requiresGrad() || grad == null) return;
        ElementwiseKernels.accumulate(target.gradBuffer(), targetOffset, grad, 0, 1f, grad.length); // fma(g, 1, acc): the plain sum
    }

    /**
     * Gradient checkpointing (Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost";
     * PyTorch's {@code torch.utils.checkpoint}): runs {@code block} on {@code input} without recording
     * anything inside it, so its activations are freed at once, and records one node that, during
     * backward, runs the block again on a detached copy of the input with recording on and
     * back-propagates the output's gradient through that copy — into {@code params} (accumulated as
     * usual) and into {@code input}. Costs one more forward of the block; keeps only its input. The
     * block must be deterministic (no dropout), so the recomputation gives the same activations
     * and the gradients equal those without checkpointing.
     *
     * @param params the trainable tensors the block uses, so the node is recorded when only they
     *               (and not the input) need a gradient
     */
    public static Tensor checkpoint(Tensor input, java.util.function.UnaryOperator<Tensor> block, Tensor... params) {
        Tensor[] inputs = new Tensor[params.length + 1];
        inputs[0] = input;
        System.arraycopy(params, 0, inputs, 1, params.length);
        if (!needsGrad(inputs)) return block.apply(input);
        Tensor out;
        try (var g = noGrad()) {
            out = block.apply(input);
        }
        Tensor result = out;
        record(result, "checkpoint", () -> {
            Tensor x = input.detach();
            if (input.requiresGrad()) x.requiresGrad(true);
            Tensor y = block.apply(x);
            if (y.requiresGrad()) backward(y, result.gradOrNull());
            if (input.requiresGrad()) accumulate(input, x.gradOrNull(), 0);
        }, inputs);
        return result;
    }

    static void backward(Tensor root, float[] seed) {
        if (!root.requiresGrad()) {
            throw new IllegalArgumentException("backward() on " + root.describe()
                    + ", which depends on no trainable tensor (or was computed under noGrad())");
        }
        float[] g = root.gradBuffer();
        for (int i = 0; i < g.length; i++) g[i] += seed[i];

        List<Tensor> order = topologicalOrder(root);
        for (int i = order.size() - 1; i >= 0; i--) {
            Tensor t = order.get(i);
            Node node = t.node;
            if (t.gradOrNull() != null) node.backward.run();
            t.node = null; // release the graph; interior gradients go with it
            t.dropGrad();
        }
    }

    /** Tensors with a recorded node, each after all of its recorded inputs. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        IdentityHashMap<Tensor, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>(); // {tensor, next input index}
        if (root.node == null) return order;
        stack.push(new Object[] {root, 0});
        seen.put(root, true);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Tensor t = (Tensor) top[0];
            int next = (Integer) top[1];
            Tensor[] inputs = t.node.inputs;
            if (next < inputs.length) {
                top[1] = next + 1;
                Tensor in = inputs[next];
                if (in != null && in.node != null && seen.put(in, true) == null) stack.push(new Object[] {in, 0});
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
