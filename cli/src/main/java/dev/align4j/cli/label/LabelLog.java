package dev.align4j.cli.label;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A JSON Lines file that labels are appended to one at a time, each line on disk
 * ({@link FileChannel#force}) before the person is told it is saved, and that a session stopped at
 * any moment leaves readable.
 *
 * <p>Opening reads the rows already there and repairs what a stop in the middle of a write leaves:
 * a last line without its newline is completed when it is a whole JSON object (an editor may have
 * dropped the final newline) and cut off otherwise, as is a last line that is not valid JSON; each
 * repair is a warning, never an error, and no line before the last is touched. A bad line before
 * the last is not a torn write but damage, and an error naming the file and line. A failed append
 * is cut off again, so the next append starts on a fresh line. While open, the file is locked, so
 * a second session on the same output fails at once instead of writing duplicates.
 *
 * <p>What it is not: {@link JsonLines.Writer}, which writes a whole file that appears complete or
 * not at all; labels arrive one by one over hours and each must survive on its own.
 */
final class LabelLog implements AutoCloseable {
    /** Whole-line JSON: trailing text after the object is an error, not ignored. */
    private static final ObjectReader STRICT = JsonLines.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final List<JsonLines.Line> rows;

    private LabelLog(Path file, FileChannel channel, FileLock lock, List<JsonLines.Line> rows) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.rows = rows;
    }

    /**
     * Opens {@code file} for appending, creating it (and its folder) when absent, after reading
     * and repairing its rows.
     *
     * @param warn receives one message per repair
     * @throws IllegalArgumentException when a line before the last is not a JSON object, or another
     *                                  session holds the file
     */
    static LabelLog open(Path file, Consumer<String> warn) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IllegalArgumentException(file + " is in use by another align4j label session; stop that one first,"
                        + " or choose another --output");
            }
            List<JsonLines.Line> rows = recover(file, channel, warn);
            channel.position(channel.size());
            return new LabelLog(file, channel, lock, rows);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The rows the file held when opened, with their line numbers. */
    List<JsonLines.Line> rows() {
        return rows;
    }

    Path file() {
        return file;
    }

    /** Appends {@code row} as one line and forces it to disk before returning. */
    synchronized void append(ObjectNode row) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap((JsonLines.MAPPER.writeValueAsString(row) + "\n").getBytes(StandardCharsets.UTF_8));
        long before = channel.size();
        try {
            while (bytes.hasRemaining()) channel.write(bytes);
            channel.force(true);
        } catch (IOException e) { // a full disk, say: take back the partial line so the file stays whole
            try {
                channel.truncate(before);
                channel.position(before);
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            throw new IOException("cannot append to " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            if (lock.isValid()) lock.release();
        } finally {
            channel.close();
        }
    }

    /** Reads every complete row; completes or cuts off a torn last line. */
    private static List<JsonLines.Line> recover(Path file, FileChannel channel, Consumer<String> warn) throws IOException {
        long size = channel.size();
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException(file + " is larger than 2 GB; is it really a labels file?");
        ByteBuffer buffer = ByteBuffer.allocate((int) size);
        while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) >= 0) {}
        byte[] bytes = buffer.array();
        List<JsonLines.Line> rows = new ArrayList<>();
        int start = 0, number = 0;
        while (start < bytes.length) {
            int newline = indexOf(bytes, (byte) '\n', start);
            int end = newline < 0 ? bytes.length : newline;
            number++;
            String text = new String(bytes, start, end - start, StandardCharsets.UTF_8);
            boolean last = newline < 0 || isBlank(bytes, newline + 1);
            if (text.isBlank()) {
                if (newline < 0) channel.truncate(start); // stray spaces after the last newline
                start = end + 1;
                continue;
            }
            ObjectNode json = parse(text);
            if (json == null) {
                if (!last) {
                    throw new IllegalArgumentException(file + ", line " + number + ": not a JSON object, and not the last line (which a stop"
                            + " mid-write can tear); fix or delete the line, then start again");
                }
                channel.truncate(start);
                channel.force(true);
                warn.accept(file + ", line " + number + ": dropped a torn last line (" + (bytes.length - start) + " bytes, not a whole JSON"
                        + " object; the session was stopped while writing it); its item will be shown again");
                break;
            }
            if (newline < 0) {
                channel.write(ByteBuffer.wrap(new byte[] {'\n'}), bytes.length);
                channel.force(true);
                warn.accept(file + ", line " + number + ": the last line had no newline; added one");
            }
            rows.add(new JsonLines.Line(file, number, json));
            start = end + 1;
        }
        return rows;
    }

    private static ObjectNode parse(String text) {
        try {
            JsonNode node = STRICT.readTree(text);
            return node instanceof ObjectNode object ? object : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) return i;
        }
        return -1;
    }

    /** Whether only whitespace follows {@code from}. */
    private static boolean isBlank(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            byte b = bytes[i];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') return false;
        }
        return true;
    }
}
