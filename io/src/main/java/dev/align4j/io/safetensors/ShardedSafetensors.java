package dev.align4j.io.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sharded checkpoint: {@code model.safetensors.index.json} and the shard files it names.
 *
 * <p>What it is: the index's {@code weight_map} (tensor name → shard file name) checked when opened
 * (every value a plain relative path inside the index's folder, no {@code ..}, no absolute path, no
 * backslash; every shard present), and shards opened lazily on first use, each verified to hold
 * every tensor the index assigns to it. Errors name the index file, and the shard and tensor
 * involved. Tensors a shard holds beyond its weight_map entries are ignored, as transformers ignores
 * them. Symbolic links are followed (the Hugging Face cache links snapshot files to blobs outside
 * the folder), so the containment check is on names, not on link targets. What it is not: a writer
 * ({@link SafetensorsWriter#writeSharded}).
 *
 * <p>Based on: the index transformers' {@code save_pretrained} writes:
 * {@code {"metadata": {"total_size": ...}, "weight_map": {name: "model-00001-of-00003.safetensors"}}}.
 */
public final class ShardedSafetensors implements SafetensorsSource {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private final Path indexFile;
    private final Map<String, String> weightMap; // tensor name → shard file name, in index order
    private final List<String> names;
    private final Map<String, Path> shardPaths; // shard file name → path
    private final Lifetime lifetime;
    private final Map<String, SafetensorsFile> opened = new HashMap<>(); // guarded by this
    private boolean closed; // guarded by this

    private ShardedSafetensors(Path indexFile, Map<String, String> weightMap, Map<String, Path> shardPaths, Lifetime lifetime) {
        this.indexFile = indexFile;
        this.lifetime = lifetime;
        this.weightMap = weightMap;
        this.names = List.copyOf(weightMap.keySet());
        this.shardPaths = shardPaths;
    }

    /** {@link #open(Path, Lifetime)} with shards mapped {@link Lifetime#UNTIL_CLOSED}. */
    public static ShardedSafetensors open(Path indexFile) throws IOException {
        return open(indexFile, Lifetime.UNTIL_CLOSED);
    }

    /** Reads and checks the index; shards are mapped, with the given lifetime, when first needed. */
    public static ShardedSafetensors open(Path indexFile, Lifetime lifetime) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(indexFile));
        } catch (JacksonException e) {
            throw new SafetensorsException(indexFile + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(indexFile + ": must be a JSON object, got " + SafetensorsHeader.show(root));
        }
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new SafetensorsException(indexFile + ": weight_map must be an object {tensor name: shard file}, got "
                    + SafetensorsHeader.show(map));
        }
        Path folder = indexFile.toAbsolutePath().getParent().normalize();
        Map<String, String> weightMap = new LinkedHashMap<>();
        Map<String, Path> shardPaths = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            String where = indexFile + ": weight_map[\"" + e.getKey() + "\"]";
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(where + " must be a shard file name, got " + SafetensorsHeader.show(e.getValue()));
            }
            String shard = e.getValue().textValue();
            if (!shardPaths.containsKey(shard)) shardPaths.put(shard, shardPath(where, folder, shard));
            weightMap.put(e.getKey(), shard);
        }
        for (Map.Entry<String, Path> s : shardPaths.entrySet()) {
            if (!Files.isRegularFile(s.getValue())) {
                throw new SafetensorsException(indexFile + ": shard " + s.getKey() + " not found (expected at "
                        + s.getValue() + "; incomplete download?)");
            }
        }
        return new ShardedSafetensors(indexFile, weightMap, shardPaths, lifetime);
    }

    private static Path shardPath(String where, Path folder, String shard) {
        boolean suspicious = shard.isEmpty() || shard.startsWith("/") || shard.contains("\\") || shard.contains(":")
                || shard.indexOf('\0') >= 0;
        Path resolved = suspicious ? null : folder.resolve(shard).normalize();
        boolean escapes = resolved == null || !resolved.startsWith(folder) || resolved.equals(folder)
                || List.of(shard.split("/")).contains("..");
        if (escapes) {
            throw new SafetensorsException(where + " = \"" + shard + "\" is not a file name inside the index's folder "
                    + folder + " (absolute paths and .. are rejected)");
        }
        return resolved;
    }

    public Path indexFile() {
        return indexFile;
    }

    /** Distinct shard file names, in order of first appearance in the weight_map. */
    public List<String> shards() {
        return List.copyOf(shardPaths.keySet());
    }

    /** Maps every shard now and checks each against the weight_map, instead of on first use. */
    public void openAll() throws IOException {
        for (String shard : shardPaths.keySet()) shard(shard);
    }

    @Override
    public List<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return weightMap.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return fileOf(name).info(name);
    }

    @Override
    public MemorySegment segment(String name) {
        return fileOf(name).segment(name);
    }

    @Override
    public void readFloats(String name, float[] dst, int dstOffset) {
        fileOf(name).readFloats(name, dst, dstOffset);
    }

    @Override
    public MemorySegment readBf16(String name) {
        return fileOf(name).readBf16(name);
    }

    private SafetensorsFile fileOf(String name) {
        String shard = weightMap.get(name);
        if (shard == null) {
            throw new SafetensorsException(indexFile + ": no tensor named \"" + name + "\" in weight_map ("
                    + names.size() + " tensors)");
        }
        try {
            return shard(shard);
        } catch (IOException e) {
            throw new UncheckedIOException(indexFile + ": cannot read shard " + shard, e);
        }
    }

    private synchronized SafetensorsFile shard(String shard) throws IOException {
        if (closed) throw new IllegalStateException(indexFile + ": already closed");
        SafetensorsFile f = opened.get(shard);
        if (f != null) return f;
        f = SafetensorsFile.open(shardPaths.get(shard), lifetime);
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            if (e.getValue().equals(shard) && !f.contains(e.getKey())) missing.add(e.getKey());
        }
        if (!missing.isEmpty()) {
            f.close();
            throw new SafetensorsException(indexFile + ": weight_map puts tensor \"" + missing.getFirst() + "\"" + (
                    missing.size() > 1 ? " (and " + (missing.size() - 1) + " more)" : "") + " in shard " + shard
                    + ", which does not hold it");
        }
        opened.put(shard, f);
        return f;
    }

    @Override
    public synchronized void close() {
        for (SafetensorsFile f : opened.values()) f.close();
        opened.clear();
        closed = true;
    }

    @Override
    public String toString() {
        return "ShardedSafetensors[" + indexFile + ", " + names.size() + " tensors in " + shardPaths.size() + " shards]";
    }
}
