package dev.align4j.io.safetensors;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.hf.AtomicFiles;
import dev.align4j.io.hf.HfJson;
import dev.align4j.tensor.Tensor;

import dev.align4j.io.JsonText;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes float32 (or frozen BF16) tensors as safetensors, byte for byte as Python's
 * {@code safetensors.torch.save_file} would, one file or sharded as transformers' {@code save_pretrained} shards.
 *
 * <p>What it is: the layout of the reference serializer ({@code prepare} in huggingface/safetensors
 * {@code tensor.rs}): tensors sorted by dtype, widest alignment first ({@link DType} order,
 * descending), then by name (code point order), whatever the order of the map given; a compact JSON
 * header ({@code serde_json}: no spaces, only {@code "}, {@code \} and control characters escaped),
 * {@code __metadata__} first, padded with spaces to a multiple of 8 bytes; then the data, back to
 * back. F32 is copied; BF16 rounds to nearest even (NaN → 0x7FC0) as {@code tensor.to(torch.bfloat16)};
 * F16 as {@link Float#floatToFloat16}; a frozen BF16 tensor is copied as BF16 and widened for F32 (exact).
 * Every file is written to a temporary name and renamed
 * ({@link AtomicFiles}). What it is not: a writer of the other dtypes, nor of shared or strided
 * storage (a {@link Tensor} is contiguous). An empty metadata map omits {@code __metadata__}, as
 * Python's {@code metadata=None} does.
 *
 * <p>Sharding ({@link #writeSharded}) follows huggingface_hub's {@code split_state_dict_into_shards_factory}
 * in the map's order (a tensor larger than the limit gets a shard of its own; otherwise a shard is
 * closed when the next tensor would tip it over), names the shards {@code model-00001-of-00003.safetensors},
 * and writes {@code model.safetensors.index.json} as transformers does: {@code json.dumps(indent=2,
 * sort_keys=True) + "\n"} of {@code {"metadata": {"total_parameters", "total_size"}, "weight_map"}}.
 * One shard means a plain {@code model.safetensors} and no index. Deviation: besides stale shards
 * (which transformers deletes too), a stale index or single file is deleted, so the folder never
 * describes two checkpoints.
 */
public final class SafetensorsWriter {
    /** The metadata transformers writes into every file. */
    public static final Map<String, String> PT_METADATA = Map.of("format", "pt");

    private static final Pattern SHARD_NAME = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");
    private static final int WRITE_BUFFER_BYTES = 1 << 20;

    /** One tensor to write and the dtype to store it as (F32, BF16 or F16). */
    public record Entry(DType dtype, Tensor tensor) {
        public Entry {
            Objects.requireNonNull(tensor, "tensor");
            if (!dtype.isReadableAsFloat()) {
                throw new IllegalArgumentException("SafetensorsWriter: cannot write float32 data as " + dtype
                        + " (supported: " + DType.floatTypes() + ")");
            }
        }

        /** Size of the stored data in bytes. */
        public long byteLength() {
            return (long) tensor.numel() * (dtype.bits() / 8);
        }
    }

    private SafetensorsWriter() {}

    /** Every tensor of {@code tensors} stored as {@code dtype}, in the map's order. */
    public static Map<String, Entry> entries(Map<String, Tensor> tensors, DType dtype) {
        Map<String, Entry> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> out.put(name, new Entry(dtype, t)));
        return out;
    }

    /** Writes one file with {@code __metadata__} {@code {"format": "pt"}}. */
    public static void write(Path file, Map<String, Entry> tensors) throws IOException {
        write(file, tensors, PT_METADATA);
    }

    /** Writes one file with the given {@code __metadata__} (omitted when empty). */
    public static void write(Path file, Map<String, Entry> tensors, Map<String, String> metadata) throws IOException {
        List<Map.Entry<String, Entry>> order = layout(tensors);
        byte[] header = header(order, metadata);
        AtomicFiles.write(file, channel -> {
            writeFully(channel, ByteBuffer.wrap(header));
            ByteBuffer buf = ByteBuffer.allocateDirect(WRITE_BUFFER_BYTES);
            MemorySegment seg = MemorySegment.ofBuffer(buf);
            for (Map.Entry<String, Entry> e : order) {
                DType dtype = e.getValue().dtype();
                Tensor t = e.getValue().tensor();
                int elementBytes = dtype.bits() / 8;
                int perChunk = WRITE_BUFFER_BYTES / elementBytes;
                for (int done = 0; done < t.numel(); done += perChunk) {
                    int m = Math.min(perChunk, t.numel() - done);
                    if (t.isBf16()) FloatCodec.convert(DType.BF16, t.bf16Storage(), 2L * done, dtype, seg, 0, m);
                    else FloatCodec.encode(dtype, t.storage(), t.offset() + done, m, seg, 0);
                    buf.clear().limit(m * elementBytes);
                    writeFully(channel, buf);
                }
            }
        });
    }

    /**
     * Writes {@code tensors} into {@code folder} as transformers' {@code save_pretrained} does with
     * {@code max_shard_size = maxShardBytes}: {@code model.safetensors} when one shard suffices, else
     * numbered shards and {@code model.safetensors.index.json}. Returns the files written.
     */
    public static List<Path> writeSharded(Path folder, Map<String, Entry> tensors, long maxShardBytes) throws IOException {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("SafetensorsWriter.writeSharded: maxShardBytes must be positive, got "
                    + maxShardBytes);
        }
        List<Map<String, Entry>> shards = new ArrayList<>();
        Map<String, Entry> current = new LinkedHashMap<>();
        long currentSize = 0;
        long totalSize = 0;
        long totalParameters = 0;
        for (Map.Entry<String, Entry> e : tensors.entrySet()) {
            long size = e.getValue().byteLength();
            totalSize += size;
            totalParameters += e.getValue().tensor().numel();
            if (size > maxShardBytes) {
                shards.add(Map.of(e.getKey(), e.getValue()));
                continue;
            }
            if (currentSize + size > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentSize = 0;
            }
            current.put(e.getKey(), e.getValue());
            currentSize += size;
        }
        if (!current.isEmpty()) shards.add(current);

        Files.createDirectories(folder);
        List<Path> written = new ArrayList<>();
        if (shards.size() <= 1) {
            Path single = folder.resolve(SafetensorsSource.SINGLE_FILE);
            write(single, tensors);
            written.add(single);
            deleteStale(folder, Set.of(SafetensorsSource.SINGLE_FILE));
            return written;
        }
        ObjectNode index = JsonNodeFactory.instance.objectNode();
        index.putObject("metadata").put("total_parameters", totalParameters).put("total_size", totalSize);
        ObjectNode weightMap = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Path shard = folder.resolve(name);
            write(shard, shards.get(i));
            written.add(shard);
            for (String tensor : shards.get(i).keySet()) weightMap.put(tensor, name);
        }
        Path indexFile = folder.resolve(SafetensorsSource.INDEX_FILE);
        AtomicFiles.writeString(indexFile, HfJson.dumps(index) + "\n");
        written.add(indexFile);
        Set<String> keep = new HashSet<>();
        for (Path p : written) keep.add(p.getFileName().toString());
        deleteStale(folder, keep);
        return written;
    }

    /** The reference layout: dtype descending (widest alignment first), then name by code point. */
    static List<Map.Entry<String, Entry>> layout(Map<String, Entry> tensors) {
        List<Map.Entry<String, Entry>> order = new ArrayList<>(tensors.entrySet());
        order.sort(Comparator.<Map.Entry<String, Entry>>comparingInt(e -> -e.getValue().dtype().ordinal())
                .thenComparing(Map.Entry::getKey, HfJson::compareCodePoints));
        return order;
    }

    /** The 8-byte length and the space-padded JSON header for tensors laid out in {@code order}. */
    static byte[] header(List<Map.Entry<String, Entry>> order, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            json.append("\"__metadata__\":{");
            boolean first = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                if (!first) json.append(',');
                first = false;
                quote(json, m.getKey());
                json.append(':');
                quote(json, m.getValue());
            }
            json.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : order) {
            if (e.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("SafetensorsWriter: a tensor cannot be named __metadata__");
            }
            if (json.length() > 1) json.append(',');
            quote(json, e.getKey());
            long end = offset + e.getValue().byteLength();
            json.append(":{\"dtype\":\"").append(e.getValue().dtype()).append("\",\"shape\":")
                    .append(Arrays.toString(e.getValue().tensor().shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        byte[] text = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) & ~7;
        if (padded > SafetensorsHeader.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("SafetensorsWriter: header of " + padded + " bytes exceeds the "
                    + SafetensorsHeader.MAX_HEADER_BYTES + "-byte limit readers enforce");
        }
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(text);
        while (out.hasRemaining()) out.put((byte) ' ');
        return out.array();
    }

    /** A JSON string as serde_json writes it: only {@code "}, {@code \} and control characters escaped. */
    private static void quote(StringBuilder sb, String s) {
        if (!StandardCharsets.UTF_8.newEncoder().canEncode(s)) {
            throw new IllegalArgumentException("SafetensorsWriter: name or metadata \"" + s
                    + "\" is not valid Unicode (unpaired surrogate)");
        }
        JsonText.quote(sb, s, false);
    }

    /** Deletes shards of an earlier save, the index and the single file, except the names in {@code keep}. */
    private static void deleteStale(Path folder, Set<String> keep) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                boolean ours = SHARD_NAME.matcher(name).matches() || name.equals(SafetensorsSource.SINGLE_FILE)
                        || name.equals(SafetensorsSource.INDEX_FILE);
                if (ours && !keep.contains(name) && Files.isRegularFile(p)) Files.delete(p);
            }
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) channel.write(buf);
    }
}
