package dev.align4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parts of {@link GemmBench} that are not timing: reading the OpenBLAS script, the geometric mean. */
class GemmBenchTest {

    @Test
    void readsTheRatePerShapeFromTheOpenBlasScriptOutput() {
        String out = """
                512 768 768  277.0
                512 768 3072  291.6
                some warning from numpy
                1024 1024 1024  304.1
                geomean GFLOP/s 288.5
                """;
        Map<String, Double> rates = GemmBench.parseOpenBlas(out);
        assertEquals(Map.of("512,768,768", 277.0, "512,768,3072", 291.6, "1024,1024,1024", 304.1), rates);
    }

    @Test
    void geometricMeanOfRatios() {
        assertEquals(4.0, GemmBench.geomean(new double[] {2, 8}), 1e-12);
        assertEquals(0.5, GemmBench.geomean(new double[] {0.5, 0.5, 0.5}), 1e-12);
    }

    @Test
    void defaultScriptIsInSharedBesideTheRepository() {
        Path repo = Path.of("").toAbsolutePath().getParent(); // tests run in the module folder, cli/
        assertEquals(repo.resolve("../shared/bench/openblas_gemm.py").normalize(), GemmBench.defaultScript());
    }
}
