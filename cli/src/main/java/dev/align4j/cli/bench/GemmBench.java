package dev.align4j.cli.bench;

import dev.align4j.tensor.kernels.Gemm;
import dev.align4j.tensor.kernels.Parallel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j bench gemm}: float32 matrix-multiply speed of {@link Gemm#sgemm} against OpenBLAS
 * (numpy's {@code @}) measured in the same run by {@code ../shared/bench/openblas_gemm.py}.
 *
 * <p>The shapes are those of a GPT-2-small-sized layer over 512 tokens (768 ↔ 3072), forward
 * {@code X·W} and the two backward products {@code dX = dY·Wᵀ} and {@code dW = Xᵀ·dY}, plus 1024³.
 * The OpenBLAS script only does {@code A·B}; a transposed product is compared with the
 * {@code A·B} rate of the same (M, K, N). Each shape is timed by align4j and then at once by the
 * script, so both see the same load on a shared machine; each side reports the median of its timed
 * runs after warm-up. The last line is {@code ratio_vs_openblas X}, the geometric mean over the
 * shapes of align4j's rate over OpenBLAS's. Without python3 or numpy the reference side is
 * skipped, and the last line says so instead.
 *
 * <p>Not a JMH harness: the JIT is warmed by running every shape (all four transpose paths) for a
 * quarter of a second, twice, before any timing, so each path has reached its C2 code; the
 * machines are shared, so only ratios measured in one run mean much.
 */
@Command(name = "gemm", mixinStandardHelpOptions = true,
        description = "float32 matmul GFLOP/s of align4j's sgemm vs OpenBLAS (numpy) on the same shapes, same run.")
public final class GemmBench implements Callable<Integer> {

    @Option(names = "--repeats", defaultValue = "9", description = "Timed runs per shape; the median counts (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--openblas-script", paramLabel = "PATH",
            description = "The OpenBLAS reference script (default: ../shared/bench/openblas_gemm.py beside the repository).")
    Path openblasScript;

    /** One product {@code op(A)·op(B)}, op(A) (m, k), op(B) (k, n). */
    record Shape(String label, int m, int k, int n, boolean transA, boolean transB) {
        String mkn() {
            return m + "," + k + "," + n;
        }

        double gflop() {
            return 2.0 * m * k * n / 1e9;
        }
    }

    static final List<Shape> SHAPES = List.of(
            new Shape("X·W        768→768", 512, 768, 768, false, false),
            new Shape("X·W        768→3072", 512, 768, 3072, false, false),
            new Shape("X·W        3072→768", 512, 3072, 768, false, false),
            new Shape("A·B        1024³", 1024, 1024, 1024, false, false),
            new Shape("dX = dY·Wᵀ 768→3072", 512, 3072, 768, false, true),
            new Shape("dW = Xᵀ·dY 768→3072", 768, 512, 3072, true, false),
            new Shape("dX = dY·Wᵀ 3072→768", 512, 768, 3072, false, true),
            new Shape("dW = Xᵀ·dY 3072→768", 3072, 512, 768, true, false));

    @Override
    public Integer call() {
        if (repeats < 1) throw new IllegalArgumentException("--repeats must be at least 1, got " + repeats);
        Path script = openblasScript != null ? openblasScript : defaultScript();
        String skipped = script == null ? "no ../shared beside the repository; pass --openblas-script PATH"
                : !Files.isRegularFile(script) ? "no script at " + script + "; pass --openblas-script PATH" : null;
        System.out.printf("align4j sgemm (%d threads) vs OpenBLAS (numpy: python3 %s), median of %d runs after warm-up,%n",
                Parallel.threads(), script, repeats);
        System.out.println("each shape measured by align4j then at once by OpenBLAS; OpenBLAS only does A·B, so a");
        System.out.println("transposed product is compared with OpenBLAS's A·B of the same M, K, N.");
        System.out.printf("%-22s %5s %5s %5s  %8s %8s %6s%n", "shape", "M", "K", "N", "align4j", "OpenBLAS", "ratio");
        List<Runnable> products = SHAPES.stream().map(GemmBench::product).toList();
        for (int round = 0; round < 2; round++) { // every code path compiled before any timing
            for (Runnable product : products) runFor(product, 250_000_000L);
        }
        double[] ours = new double[SHAPES.size()], ratios = new double[SHAPES.size()];
        for (int s = 0; s < SHAPES.size(); s++) {
            Shape sh = SHAPES.get(s);
            ours[s] = sh.gflop() / medianSeconds(products.get(s), repeats);
            System.out.printf("%-22s %5d %5d %5d  %8.1f", sh.label(), sh.m(), sh.k(), sh.n(), ours[s]);
            if (skipped == null) {
                try {
                    double ref = openBlasRate(script, sh.mkn());
                    ratios[s] = ours[s] / ref;
                    System.out.printf(" %8.1f %6.2f", ref, ratios[s]);
                } catch (IOException e) {
                    skipped = e.getMessage();
                }
            }
            System.out.println();
        }
        System.out.printf("%-22s %17s  %8.1f%n", "geomean", "", geomean(ours));
        if (skipped != null) {
            System.out.println("OpenBLAS side skipped: " + skipped);
            System.out.println("no ratio_vs_openblas: the OpenBLAS reference did not run");
            return 0;
        }
        System.out.printf("ratio_vs_openblas %.3f%n", geomean(ratios));
        return 0;
    }

    /** The product of {@code sh} on fixed random operands. */
    static Runnable product(Shape sh) {
        SplittableRandom r = new SplittableRandom(sh.mkn().hashCode());
        float[] a = new float[sh.m() * sh.k()], b = new float[sh.k() * sh.n()], c = new float[sh.m() * sh.n()];
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextDouble() * 2 - 1);
        int lda = sh.transA() ? sh.m() : sh.k(), ldb = sh.transB() ? sh.k() : sh.n();
        return () -> Gemm.sgemm(sh.transA(), sh.transB(), sh.m(), sh.n(), sh.k(), a, 0, lda, b, 0, ldb, c, 0, sh.n(), false);
    }

    private static void runFor(Runnable product, long nanos) {
        long end = System.nanoTime() + nanos;
        do product.run(); while (System.nanoTime() < end);
    }

    /** Median seconds of {@code repeats} timed runs after 3 untimed ones. */
    static double medianSeconds(Runnable product, int repeats) {
        for (int w = 0; w < 3; w++) product.run();
        double[] seconds = new double[repeats];
        for (int t = 0; t < repeats; t++) {
            long t0 = System.nanoTime();
            product.run();
            seconds[t] = (System.nanoTime() - t0) * 1e-9;
        }
        Arrays.sort(seconds);
        return seconds[repeats / 2];
    }

    /** {@code <repo>/../shared/bench/openblas_gemm.py}, the repository found above this class's jar or folder. */
    static Path defaultScript() {
        try {
            Path p = Path.of(GemmBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (; p != null; p = p.getParent()) {
                if (Files.isRegularFile(p.resolve("align4j")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                    return p.resolve("../shared/bench/openblas_gemm.py").normalize();
                }
            }
        } catch (Exception e) { // no code source: no default, the caller says so
            return null;
        }
        return null;
    }

    /** Runs the script on one "M,K,N" and returns its GFLOP/s; IOException says why it could not. */
    static double openBlasRate(Path script, String mkn) throws IOException {
        Process proc;
        try {
            proc = new ProcessBuilder("python3", script.toString(), mkn).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("python3 could not be started (" + e.getMessage() + "); install python3 with numpy");
        }
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit;
        try {
            exit = proc.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the OpenBLAS script");
        }
        if (exit != 0) {
            throw new IOException(out.contains("No module named 'numpy'") ? "python3 has no numpy (pip install numpy)"
                    : "the OpenBLAS script exited with status " + exit + ":\n" + out.strip());
        }
        Double rate = parseOpenBlas(out).get(mkn);
        if (rate == null) throw new IOException("the OpenBLAS script printed no rate for " + mkn + ":\n" + out.strip());
        return rate;
    }

    private static final Pattern RATE_LINE = Pattern.compile("^\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+([0-9.]+)\\s*$");

    /** The script's lines {@code "M K N  GFLOP/s"} as "M,K,N" → GFLOP/s; other lines are ignored. */
    static Map<String, Double> parseOpenBlas(String output) {
        Map<String, Double> rates = new LinkedHashMap<>();
        for (String line : output.split("\\R")) {
            Matcher mt = RATE_LINE.matcher(line);
            if (mt.matches()) rates.put(mt.group(1) + "," + mt.group(2) + "," + mt.group(3), Double.parseDouble(mt.group(4)));
        }
        return rates;
    }

    static double geomean(double[] xs) {
        double logs = 0;
        for (double x : xs) logs += Math.log(x);
        return Math.exp(logs / xs.length);
    }
}
