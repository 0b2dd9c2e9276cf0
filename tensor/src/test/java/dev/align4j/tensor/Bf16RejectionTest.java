package dev.align4j.tensor;

import dev.align4j.tensor.optim.GradClip;
import dev.align4j.tensor.optim.ParamGroup;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Executable;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every public op of the tensor packages (each public static method or constructor that takes a
 * tensor) called with a frozen BF16 tensor, and with a frozen 4-bit one, in each tensor position: it
 * either takes it (the few that widen BF16 or dequantise 4-bit, and the bookkeeping that never reads
 * values) or throws an IllegalArgumentException naming the op and the tensor — never an exception
 * from deep inside.
 * The list of ops is found by reflection over the compiled classes, so an op added without a case
 * here fails the test.
 */
class Bf16RejectionTest {

    /**
     * One op: how to call it on {@code inputs} (float32 and well-shaped, so only BF16 can be the
     * trouble), the word its error names, and the input positions where BF16 is accepted.
     */
    private record Op(Function<Tensor[], Object> call, Tensor[] inputs, String name, int... accepts) {}

    private static Tensor t(int... shape) {
        return Tensor.randn(shape.length, shape);
    }

    private static final Mask MASK = Mask.of(new boolean[12], 3, 4);
    private static final int[] POS = {0, 1, 2};

    private static Map<String, Op> ops() {
        Map<String, Op> ops = new LinkedHashMap<>();
        Tensor[] x34 = {t(3, 4)}, two34 = {t(3, 4), t(3, 4)}, qkv = {t(4, 2, 8), t(4, 1, 8), t(4, 1, 8)};
        Tensor[] rope = {t(3, 2, 4)}, logits = {t(3, 6)};
        Tensor[] cached = {t(1, 2, 8), t(4, 1, 8), t(4, 1, 8)};
        ops.put("CachedAttention.attend(Tensor,Tensor[],Tensor[],int[],PackedSegments)", new Op(in -> CachedAttention.attend(in[0],
                new Tensor[] {in[1]}, new Tensor[] {in[2]}, new int[] {4}, PackedSegments.single(1)), cached, "CachedAttention"));
        ops.put("CachedAttention.attend(Tensor,Tensor[],Tensor[],int[],PackedSegments,float)", new Op(in -> CachedAttention.attend(
                in[0], new Tensor[] {in[1]}, new Tensor[] {in[2]}, new int[] {4}, PackedSegments.single(1), 0.5f), cached,
                "CachedAttention"));
        ops.put("Attention.causal(Tensor,Tensor,Tensor,PackedSegments)",
                new Op(in -> Attention.causal(in[0], in[1], in[2], PackedSegments.single(4)), qkv, "Attention.causal"));
        ops.put("Attention.causal(Tensor,Tensor,Tensor,PackedSegments,float)",
                new Op(in -> Attention.causal(in[0], in[1], in[2], PackedSegments.single(4), 0.5f), qkv, "Attention.causal"));
        ops.put("Autograd.checkpoint(Tensor,UnaryOperator,Tensor[])",
                new Op(in -> Autograd.checkpoint(in[0], x -> Elementwise.mul(x, in[1]), in[1]), two34, "mul"));
        ops.put("Autograd.needsGrad(Tensor[])", new Op(in -> Autograd.needsGrad(in), x34, "needsGrad", 0));
        ops.put("Autograd.accumulate(Tensor,float[],int)",
                new Op(in -> { Autograd.accumulate(in[0], new float[12], 0); return null; }, x34, "accumulate", 0));
        ops.put("Autograd.record(Tensor,String,Runnable,Tensor[])", new Op(in -> {
            Autograd.record(in[0], "op", () -> {}, in[1]);
            return null;
        }, new Tensor[] {t(3, 4), t(3, 4).requiresGrad(true)}, "Autograd.record", 1));
        for (String op : List.of("add", "sub", "mul", "div")) {
            ops.put("Elementwise." + op + "(Tensor,Tensor)", new Op(in -> binary(op, in[0], in[1]), two34, op));
        }
        ops.put("Elementwise.addScalar(Tensor,float)", new Op(in -> Elementwise.addScalar(in[0], 1f), x34, "addScalar"));
        ops.put("Elementwise.mulScalar(Tensor,float)", new Op(in -> Elementwise.mulScalar(in[0], 2f), x34, "mulScalar"));
        ops.put("Elementwise.pow(Tensor,float)", new Op(in -> Elementwise.pow(in[0], 2f), x34, "pow"));
        ops.put("Elementwise.clamp(Tensor,float,float)", new Op(in -> Elementwise.clamp(in[0], -1f, 1f), x34, "clamp"));
        for (String op : List.of("neg", "exp", "log", "sqrt", "sigmoid", "logSigmoid", "softplus", "tanh", "relu", "gelu", "silu")) {
            ops.put("Elementwise." + op + "(Tensor)", new Op(in -> unary(op, in[0]), x34, op));
        }
        ops.put("Elementwise.where(Mask,Tensor,Tensor)", new Op(in -> Elementwise.where(MASK, in[0], in[1]), two34, "where"));
        ops.put("Elementwise.maskedFill(Tensor,Mask,float)",
                new Op(in -> Elementwise.maskedFill(in[0], MASK, 0f), x34, "maskedFill"));
        ops.put("Elementwise.dropout(Tensor,float,long,boolean)",
                new Op(in -> Elementwise.dropout(in[0], 0.5f, 1, false), x34, "dropout"));
        ops.put("Embedding.lookup(Tensor,int[])", new Op(in -> Embedding.lookup(in[0], POS), x34, "lookup", 0));
        ops.put("Linalg.matmul(Tensor,Tensor)", new Op(in -> Linalg.matmul(in[0], in[1]), new Tensor[] {t(3, 5), t(5, 4)},
                "matmul", 1));
        ops.put("Linalg.matmul(Tensor,Tensor,boolean,boolean)", new Op(in -> Linalg.matmul(in[0], in[1], true, true),
                new Tensor[] {t(5, 3), t(4, 5)}, "matmul", 1));
        ops.put("Linalg.linear(Tensor,Tensor,Tensor)", new Op(in -> Linalg.linear(in[0], in[1], in[2]),
                new Tensor[] {t(3, 5), t(4, 5), t(4)}, "linear", 1));
        ops.put("Linalg.conv1d(Tensor,Tensor,Tensor)", new Op(in -> Linalg.conv1d(in[0], in[1], in[2]),
                new Tensor[] {t(3, 5), t(5, 4), t(4)}, "conv1d", 1));
        ops.put("LogProbs.tokenLogProbs(Tensor,int[])", new Op(in -> LogProbs.tokenLogProbs(in[0], POS), logits, "tokenLogProbs"));
        ops.put("LogProbs.tokenLogProbs(Tensor,int[],int)",
                new Op(in -> LogProbs.tokenLogProbs(in[0], POS, -100), logits, "tokenLogProbs"));
        ops.put("LogProbs.crossEntropy(Tensor,int[])", new Op(in -> LogProbs.crossEntropy(in[0], POS), logits, "crossEntropy"));
        ops.put("LogProbs.crossEntropy(Tensor,int[],int)",
                new Op(in -> LogProbs.crossEntropy(in[0], POS, -100), logits, "crossEntropy"));
        ops.put("LogProbs.entropy(Tensor)", new Op(in -> LogProbs.entropy(in[0]), logits, "entropy"));
        ops.put("Norms.layerNorm(Tensor,Tensor,Tensor,float)", new Op(in -> Norms.layerNorm(in[0], in[1], in[2], 1e-5f),
                new Tensor[] {t(3, 4), t(4), t(4)}, "layerNorm"));
        ops.put("Norms.rmsNorm(Tensor,Tensor,float)", new Op(in -> Norms.rmsNorm(in[0], in[1], 1e-5f),
                new Tensor[] {t(3, 4), t(4)}, "rmsNorm"));
        ops.put("Reductions.sum(Tensor)", new Op(in -> Reductions.sum(in[0]), x34, "sum"));
        ops.put("Reductions.mean(Tensor)", new Op(in -> Reductions.mean(in[0]), x34, "mean"));
        ops.put("Reductions.sum(Tensor,int,boolean)", new Op(in -> Reductions.sum(in[0], 1, false), x34, "sum"));
        ops.put("Reductions.mean(Tensor,int,boolean)", new Op(in -> Reductions.mean(in[0], 1, true), x34, "mean"));
        ops.put("Reductions.max(Tensor,int,boolean)", new Op(in -> Reductions.max(in[0], 1, false), x34, "max"));
        ops.put("Reductions.argmax(Tensor,int)", new Op(in -> Reductions.argmax(in[0], 1), x34, "argmax"));
        ops.put("Rope.apply(Tensor,int[],double)", new Op(in -> Rope.apply(in[0], POS, 10_000.0), rope, "Rope.apply"));
        ops.put("Rope.apply(Tensor,int[],float[])",
                new Op(in -> Rope.apply(in[0], POS, new float[] {1f, 0.1f}), rope, "Rope.apply"));
        ops.put("Rope.apply(Tensor,Table)",
                new Op(in -> Rope.apply(in[0], Rope.table(POS, new float[] {1f, 0.1f})), rope, "Rope.apply"));
        ops.put("ShapeOps.reshape(Tensor,int[])", new Op(in -> ShapeOps.reshape(in[0], 4, 3), x34, "reshape", 0));
        ops.put("ShapeOps.transpose(Tensor,int,int)", new Op(in -> ShapeOps.transpose(in[0], 0, 1), x34, "transpose"));
        ops.put("ShapeOps.permute(Tensor,int[])", new Op(in -> ShapeOps.permute(in[0], 1, 0), x34, "permute"));
        ops.put("ShapeOps.concat(List,int)", new Op(in -> ShapeOps.concat(List.of(in), 0), two34, "concat"));
        ops.put("ShapeOps.slice(Tensor,int,int,int)", new Op(in -> ShapeOps.slice(in[0], 0, 0, 2), x34, "slice"));
        ops.put("ShapeOps.indexSelect(Tensor,int,int[])", new Op(in -> ShapeOps.indexSelect(in[0], 0, 2, 1), x34, "indexSelect"));
        ops.put("ShapeOps.expand(Tensor,int[])", new Op(in -> ShapeOps.expand(in[0], 3, 4), new Tensor[] {t(1, 4)}, "expand"));
        ops.put("Shapes.requireRank(String,Tensor,int)",
                new Op(in -> { Shapes.requireRank("op", in[0], 2); return null; }, x34, "requireRank", 0));
        ops.put("Softmax.softmax(Tensor,int)", new Op(in -> Softmax.softmax(in[0], -1), x34, "softmax"));
        ops.put("Softmax.logSoftmax(Tensor,int)", new Op(in -> Softmax.logSoftmax(in[0], 0), x34, "logSoftmax"));
        ops.put("GradClip.clipGradNorm(List,double)", new Op(in -> GradClip.clipGradNorm(List.of(in), 1.0), x34, "clipGradNorm", 0));
        ops.put("GradClip.totalNorm(List)", new Op(in -> GradClip.totalNorm(List.of(in)), x34, "totalNorm", 0));
        ops.put("ParamGroup.<init>(List,double)",
                new Op(in -> new ParamGroup(List.of(in), 0.0), new Tensor[] {t(3, 4).requiresGrad(true)}, "ParamGroup"));
        return ops;
    }

    private static Tensor binary(String op, Tensor a, Tensor b) {
        return switch (op) {
            case "add" -> Elementwise.add(a, b);
            case "sub" -> Elementwise.sub(a, b);
            case "mul" -> Elementwise.mul(a, b);
            default -> Elementwise.div(a, b);
        };
    }

    private static Tensor unary(String op, Tensor x) {
        return switch (op) {
            case "neg" -> Elementwise.neg(x);
            case "exp" -> Elementwise.exp(x);
            case "log" -> Elementwise.log(x);
            case "sqrt" -> Elementwise.sqrt(x);
            case "sigmoid" -> Elementwise.sigmoid(x);
            case "logSigmoid" -> Elementwise.logSigmoid(x);
            case "softplus" -> Elementwise.softplus(x);
            case "tanh" -> Elementwise.tanh(x);
            case "relu" -> Elementwise.relu(x);
            case "gelu" -> Elementwise.gelu(x);
            default -> Elementwise.silu(x);
        };
    }

    @Test
    void everyPublicOpTakingATensorHasACase() throws Exception {
        assertEquals(new TreeSet<>(publicOpsTakingTensors()), new TreeSet<>(ops().keySet()),
                "each public op that takes a Tensor needs a case in ops() (add it with the positions where BF16 is accepted)");
    }

    @Test
    void everyOpRejectsABf16InputByNameOrTakesIt() {
        ops().forEach((key, op) -> {
            for (int p = 0; p < op.inputs().length; p++) {
                Tensor[] in = op.inputs().clone();
                in[p] = Bf16Fixtures.randn(p, in[p].shape()).named("frozen");
                int position = p;
                if (Arrays.stream(op.accepts()).anyMatch(a -> a == position)) {
                    op.call().apply(in); // accepted: must not throw
                    continue;
                }
                var e = assertThrows(IllegalArgumentException.class, () -> op.call().apply(in), key + " input " + p);
                String message = e.getMessage();
                assertTrue(message.contains(op.name()) && message.contains(in[p].describe()), key + ": " + message);
                if (!key.startsWith("ParamGroup")) assertTrue(message.contains("BF16"), key + ": " + message);
            }
        });
    }

    /** Ops that take a BF16 input but not a 4-bit one in the same position: bitsandbytes quantises linear layers only. */
    private static final java.util.Set<String> BF16_ONLY = java.util.Set.of("Embedding.lookup(Tensor,int[])");

    private static Tensor fourBit(int seed, int[] shape) {
        return Tensor.randn(seed, shape).quantize4Bit(QuantType.NF4, seed % 2 == 0).named("frozen");
    }

    @Test
    void everyOpRejectsA4BitInputByNameOrTakesIt() {
        ops().forEach((key, op) -> {
            for (int p = 0; p < op.inputs().length; p++) {
                Tensor[] in = op.inputs().clone();
                in[p] = fourBit(p, in[p].shape());
                int position = p;
                if (!BF16_ONLY.contains(key) && Arrays.stream(op.accepts()).anyMatch(a -> a == position)) {
                    op.call().apply(in); // accepted: must not throw
                    continue;
                }
                var e = assertThrows(IllegalArgumentException.class, () -> op.call().apply(in), key + " input " + p);
                String message = e.getMessage();
                assertTrue(message.contains(op.name()) && message.contains(in[p].describe()), key + ": " + message);
                if (!key.startsWith("ParamGroup")) assertTrue(message.contains("4-bit"), key + ": " + message);
            }
        });
    }

    @Test
    void anAccepted4BitInputGivesWhatItsDequantisedValuesGive() {
        ops().forEach((key, op) -> {
            if (BF16_ONLY.contains(key)) return;
            for (int p : op.accepts()) {
                Tensor q = fourBit(p, op.inputs()[p].shape());
                Tensor[] in = op.inputs().clone(), dequantised = op.inputs().clone();
                in[p] = q;
                dequantised[p] = q.toFloat32();
                Object got = op.call().apply(in), expected = op.call().apply(dequantised);
                if (got instanceof Tensor g) assertEquals(Arrays.toString(((Tensor) expected).toArray()), Arrays.toString(g.toArray()), key);
                else assertEquals(expected, got, key);
            }
        });
    }

    @Test
    void anAcceptedBf16InputGivesWhatItsWidenedValuesGive() {
        ops().forEach((key, op) -> {
            for (int p : op.accepts()) {
                Tensor bf16 = Bf16Fixtures.randn(p, op.inputs()[p].shape());
                Tensor[] in = op.inputs().clone(), widened = op.inputs().clone();
                in[p] = bf16;
                widened[p] = bf16.toFloat32();
                Object got = op.call().apply(in), expected = op.call().apply(widened);
                if (got instanceof Tensor g) assertEquals(Arrays.toString(((Tensor) expected).toArray()), Arrays.toString(g.toArray()), key);
                else assertEquals(expected, got, key);
            }
        });
    }

    /** Tensor, Tensor[] or a generic type over Tensor (a list of tensors). */
    private static final Pattern TENSOR_TYPE = Pattern.compile("\\bdev\\.align4j\\.tensor\\.Tensor\\b");

    /** {@code Class.method(ParamTypes)} of every public static method and public constructor taking tensors. */
    private static List<String> publicOpsTakingTensors() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(Tensor.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> found = new ArrayList<>();
        for (String pkg : List.of("dev.align4j.tensor", "dev.align4j.tensor.optim")) {
            List<Path> classFiles;
            try (Stream<Path> files = Files.list(root.resolve(pkg.replace('.', '/')))) {
                classFiles = files.filter(f -> f.toString().endsWith(".class") && !f.getFileName().toString().contains("$")).toList();
            }
            for (Path f : classFiles) {
                String simple = f.getFileName().toString().replace(".class", "");
                Class<?> c = Class.forName(pkg + "." + simple);
                if (!Modifier.isPublic(c.getModifiers())) continue;
                List<Executable> members = new ArrayList<>(List.of(c.getConstructors()));
                for (var m : c.getDeclaredMethods()) {
                    if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers())) members.add(m);
                }
                for (Executable m : members) {
                    if (Arrays.stream(m.getGenericParameterTypes()).map(Type::getTypeName).noneMatch(TENSOR_TYPE.asPredicate())) continue;
                    String params = String.join(",", Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName).toList());
                    String name = m instanceof java.lang.reflect.Constructor ? "<init>" : m.getName();
                    found.add(simple + "." + name + "(" + params + ")");
                }
            }
        }
        if (found.isEmpty()) fail("no ops found under " + root);
        return found;
    }
}
