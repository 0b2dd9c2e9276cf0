package dev.align4j.io.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file, memory-mapped through the FFM API and validated when opened.
 *
 * <p>What it is: the file mapped read-only as one {@link MemorySegment} (long offsets throughout, so
 * files and tensors past 2 GB work), a header checked by {@link SafetensorsHeader} against hostile
 * input, and reads that slice or widen one tensor at a time. Every rejection is a
 * {@link SafetensorsException} naming this file; no read can leave the mapped file, since every
 * tensor's range was checked against its size. Reads may run on several threads at once (the mapping
 * lives in a shared or an automatic arena, as its {@link Lifetime} says); after {@link #close()} they fail
 * with {@link IllegalStateException}.
 * What it is not: safe against the file being
 * truncated by another process while mapped (the JVM then reports an {@link InternalError} on
 * access, as for any mapped file), nor a writer ({@link SafetensorsWriter}).
 *
 * <p>Based on: the safetensors format (huggingface/safetensors README): an 8-byte little-endian
 * header length N, N bytes of JSON {@code {name: {dtype, shape, data_offsets: [begin, end]},
 * "__metadata__": {str: str}}}, then the data buffer, offsets relative to its start, tensors
 * little-endian, row-major and contiguous.
 */
public final class SafetensorsFile implements SafetensorsSource {
    private final Path path;
    private final Arena arena; // shared (UNTIL_CLOSED) or automatic (WHILE_REACHABLE)
    private final Lifetime lifetime;
    private volatile boolean closed;
    private final MemorySegment file;
    private final Map<String, TensorInfo> tensors;
    private final List<String> names;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, Lifetime lifetime, MemorySegment file, SafetensorsHeader.Parsed header) {
        this.path = path;
        this.arena = arena;
        this.lifetime = lifetime;
        this.file = file;
        this.tensors = new LinkedHashMap<>();
        for (TensorInfo t : header.tensors()) tensors.put(t.name(), t);
        this.names = List.copyOf(tensors.keySet());
        this.metadata = header.metadata();
    }

    /** {@link #open(Path, Lifetime)} mapped {@link Lifetime#UNTIL_CLOSED}. */
    public static SafetensorsFile open(Path path) throws IOException {
        return open(path, Lifetime.UNTIL_CLOSED);
    }

    /** Maps and validates {@code path}; a malformed file throws {@link SafetensorsException}. */
    public static SafetensorsFile open(Path path, Lifetime lifetime) throws IOException {
        Arena arena = lifetime == Lifetime.UNTIL_CLOSED ? Arena.ofShared() : Arena.ofAuto();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new SafetensorsFile(path, arena, lifetime, file, SafetensorsHeader.parse(path.toString(), file));
        } catch (Throwable e) {
            if (lifetime == Lifetime.UNTIL_CLOSED) arena.close(); // an automatic arena goes with its last segment
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** Tensor names in the order of their data in the file. */
    @Override
    public List<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        if (closed) throw new IllegalStateException(path + ": already closed");
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsException(path + ": no tensor named \"" + name + "\" (the file holds " + names.size()
                    + " tensors" + (names.isEmpty() ? "" : ", the first being \"" + names.getFirst() + "\"") + ")");
        }
        return t;
    }

    /** The header's {@code __metadata__} (empty when absent), e.g. {@code {"format": "pt"}}. */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public MemorySegment segment(String name) {
        TensorInfo t = info(name);
        return file.asSlice(t.byteOffset(), t.byteLength()).asReadOnly();
    }

    @Override
    public void readFloats(String name, float[] dst, int dstOffset) {
        TensorInfo t = floatTensor(name);
        long n = t.numel();
        if (dstOffset < 0 || dstOffset > dst.length || n > dst.length - dstOffset) {
            throw new IllegalArgumentException(path + ": tensor \"" + name + "\" has " + n + " elements, which do not fit"
                    + " a float[" + dst.length + "] from offset " + dstOffset);
        }
        FloatCodec.decode(t.dtype(), file, t.byteOffset(), dst, dstOffset, (int) n);
    }

    @Override
    public MemorySegment readBf16(String name) {
        TensorInfo t = floatTensor(name);
        if (t.dtype() == DType.BF16) return segment(name);
        MemorySegment out = MemorySegment.ofArray(new short[t.intNumel()]);
        FloatCodec.convert(t.dtype(), file, t.byteOffset(), DType.BF16, out, 0, t.numel());
        return out;
    }

    private TensorInfo floatTensor(String name) {
        TensorInfo t = info(name);
        if (!t.dtype().isReadableAsFloat()) {
            throw new SafetensorsException(path + ": tensor \"" + name + "\" has dtype " + t.dtype()
                    + ", which align4j cannot read as float32 (it reads " + DType.floatTypes() + ")");
        }
        return t;
    }

    @Override
    public void close() {
        closed = true;
        if (lifetime == Lifetime.UNTIL_CLOSED && arena.scope().isAlive()) arena.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + names.size() + " tensors]";
    }
}
