package dev.align4j.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Loads datasets from local files: JSON Lines ({@code .jsonl}, {@code .ndjson}), JSON
 * ({@code .json}), CSV ({@code .csv}) and Parquet ({@code .parquet}); a single file, a folder (its
 * data files, recursively, in path order) or a glob pattern ({@code data/train-*.parquet},
 * {@code **} crossing folders). Every row is read and checked once, at load time, so that a bad
 * row fails before training starts, naming its file and line.
 *
 * <p>What it is not: a Hub client (download a dataset repository first: its Parquet files load
 * as they are), nor a reader of compressed files.
 *
 * <p>Based on Hugging Face {@code datasets.load_dataset} with {@code data_files} / {@code data_dir}:
 * the split keywords of {@code datasets/data_files.py} ({@code train}/{@code training};
 * {@code validation}/{@code valid}/{@code dev}/{@code val}; {@code test}/{@code testing}/{@code eval}/
 * {@code evaluation}) name the split a file belongs to when the keyword stands between
 * non-letters in its path, as in the Hub's {@code data/train-00000-of-00001.parquet}. A folder
 * holding files of several splits must be loaded split by split ({@link #load(String, String, DatasetOptions)}),
 * so that test rows never leak into training.
 */
public final class Datasets {
    private Datasets() {}

    private static final Map<String, List<String>> SPLIT_KEYWORDS = Map.of(
            "train", List.of("train", "training"),
            "validation", List.of("validation", "valid", "dev", "val"),
            "test", List.of("test", "testing", "eval", "evaluation"));

    /** Loads a file, folder or glob with the default options. */
    public static Dataset load(String pathOrGlob) {
        return load(pathOrGlob, DatasetOptions.DEFAULT);
    }

    /**
     * Loads a file, a folder or a glob pattern.
     *
     * @throws IllegalArgumentException when nothing matches, a file has an unknown extension, a
     *                                  folder mixes splits, or a row is invalid (naming the file and
     *                                  line, unless {@code skipInvalidRows})
     */
    public static Dataset load(String pathOrGlob, DatasetOptions options) {
        List<Path> files = resolve(pathOrGlob);
        boolean oneFile = Files.isRegularFile(Path.of(pathOrGlob));
        Map<String, List<Path>> splits = oneFile ? Map.of() : splitsOf(Path.of(baseOf(pathOrGlob)), files);
        if (splits.size() > 1) {
            throw new IllegalArgumentException(pathOrGlob + " holds files of the splits " + splits.keySet() + " (by their names)"
                    + "; load one split with Datasets.load(path, \"train\", options) so that test rows stay out of training");
        }
        return loadFiles(files, options);
    }

    /**
     * Loads the files of one split from a folder or glob: those whose path names the split with
     * one of Hugging Face's split keywords. When no file is named by a split, every file is the
     * train split, as {@code load_dataset} treats unnamed data files.
     *
     * @param split "train", "validation" or "test"
     */
    public static Dataset load(String pathOrGlob, String split, DatasetOptions options) {
        if (!SPLIT_KEYWORDS.containsKey(split)) {
            throw new IllegalArgumentException("split must be one of " + new TreeSet<>(SPLIT_KEYWORDS.keySet()) + ", got '" + split + "'");
        }
        List<Path> files = resolve(pathOrGlob);
        Map<String, List<Path>> splits = splitsOf(Path.of(baseOf(pathOrGlob)), files);
        List<Path> chosen = splits.isEmpty() && split.equals("train") ? files : splits.get(split); // unnamed files: all train, as HF
        if (chosen == null) {
            throw new IllegalArgumentException(pathOrGlob + " has no " + split + " files (names with " + SPLIT_KEYWORDS.get(split)
                    + "); it has " + (splits.isEmpty() ? "none named by split" : "the splits " + splits.keySet()));
        }
        return loadFiles(chosen, options);
    }

    /** The files a path or glob names, sorted, data files only when it names a folder or a glob. */
    static List<Path> resolve(String pathOrGlob) {
        Path path = Path.of(pathOrGlob);
        if (Files.isRegularFile(path)) {
            formatOf(path).orElseThrow(() -> new IllegalArgumentException(path + ": unknown data file extension; use .jsonl,"
                    + " .ndjson, .json, .csv or .parquet"));
            return List.of(path);
        }
        List<Path> files;
        String where;
        if (Files.isDirectory(path)) {
            files = walk(path, p -> true);
            where = "the folder " + path;
        } else if (isGlob(pathOrGlob)) {
            Path base = Path.of(baseOf(pathOrGlob));
            PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pathOrGlob);
            files = Files.isDirectory(base) ? walk(base, matcher::matches) : List.of();
            where = "the pattern " + pathOrGlob;
        } else {
            throw new IllegalArgumentException(pathOrGlob + ": no such file or folder");
        }
        List<Path> data = files.stream().filter(p -> formatOf(p).isPresent()).toList();
        if (data.isEmpty()) {
            throw new IllegalArgumentException(where + " matches no .jsonl, .ndjson, .json, .csv or .parquet file"
                    + (files.isEmpty() ? "" : " (only " + files.stream().limit(5).map(Path::toString).toList() + ")"));
        }
        return data;
    }

    private static Dataset loadFiles(List<Path> files, DatasetOptions options) {
        RowChecker checker = new RowChecker(options);
        List<RowStore> stores = new ArrayList<>();
        for (Path file : files) {
            stores.add(switch (formatOf(file).orElseThrow()) {
                case "jsonl" -> JsonFiles.indexLines(file, checker);
                case "json" -> JsonFiles.indexJson(file, checker, options.field());
                case "csv" -> DuckDbFiles.index(file, DuckDbFiles.Format.CSV, checker);
                case "parquet" -> DuckDbFiles.index(file, DuckDbFiles.Format.PARQUET, checker);
                default -> throw new IllegalStateException("unreachable: " + file);
            });
        }
        if (checker.format() == null) {
            throw new IllegalArgumentException(files.size() == 1 ? files.getFirst() + " has no valid rows" : "the files "
                    + files + " have no valid rows" + (checker.skipped() > 0 ? " (" + checker.skipped() + " invalid rows skipped)" : ""));
        }
        return new Dataset(stores, checker.format(), checker.skipped());
    }

    private static Optional<String> formatOf(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) return Optional.of("jsonl");
        if (name.endsWith(".json")) return Optional.of("json");
        if (name.endsWith(".csv")) return Optional.of("csv");
        if (name.endsWith(".parquet")) return Optional.of("parquet");
        return Optional.empty();
    }

    private static List<Path> walk(Path dir, java.util.function.Predicate<Path> keep) {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(Files::isRegularFile)
                    .filter(p -> !hidden(dir.relativize(p)))
                    .filter(keep)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Files and folders whose name starts with '.' (.git, .cache) are not data. */
    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) return true;
        }
        return false;
    }

    private static boolean isGlob(String s) {
        return s.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    /** The folder part of a glob before its first pattern character ("." when there is none). */
    private static String baseOf(String pathOrGlob) {
        if (!isGlob(pathOrGlob)) return Files.isDirectory(Path.of(pathOrGlob)) ? pathOrGlob : parentOf(pathOrGlob);
        int firstMeta = 0;
        while ("*?[{".indexOf(pathOrGlob.charAt(firstMeta)) < 0) firstMeta++;
        int slash = pathOrGlob.lastIndexOf('/', firstMeta);
        return slash < 0 ? "." : slash == 0 ? "/" : pathOrGlob.substring(0, slash);
    }

    private static String parentOf(String path) {
        Path parent = Path.of(path).getParent();
        return parent == null ? "." : parent.toString();
    }

    /** The files of each split, by Hugging Face's keywords in the path below {@code base}. */
    static Map<String, List<Path>> splitsOf(Path base, List<Path> files) {
        Map<String, List<Path>> splits = new TreeMap<>();
        for (Path file : files) {
            String relative = (file.startsWith(base) ? base.relativize(file) : file).toString().toLowerCase(Locale.ROOT);
            for (var split : SPLIT_KEYWORDS.entrySet()) {
                for (String keyword : split.getValue()) {
                    if (Pattern.compile("(^|[^a-z])" + keyword + "($|[^a-z])").matcher(relative).find()) {
                        splits.computeIfAbsent(split.getKey(), k -> new ArrayList<>()).add(file);
                    }
                }
            }
        }
        splits.replaceAll((k, v) -> v.stream().distinct().toList());
        return splits;
    }
}
