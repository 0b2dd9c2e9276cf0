package dev.align4j.io.hf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that it never exists half-written under its final name.
 *
 * <p>What it is: write to a temporary file in the same folder ({@code .NAME.RANDOM.tmp}, created
 * with the default permissions, unlike {@link Files#createTempFile} which makes it owner-only), force
 * it to disk, then rename it over the target with {@link StandardCopyOption#ATOMIC_MOVE}; on any
 * failure the temporary file is deleted and the target is untouched. What it is not: a transaction
 * over several files (a sharded save renames each shard, then the index, in turn) nor a guard
 * against concurrent writers of the same target (the last rename wins).
 */
public final class AtomicFiles {
    /** Fills the temporary file through its channel. */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel channel) throws IOException;
    }

    private AtomicFiles() {}

    /** Writes {@code target} through {@code body}, atomically replacing any existing file. */
    public static void write(Path target, Body body) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                body.write(channel);
                channel.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** Writes {@code text} as UTF-8 to {@code target}, atomically. */
    public static void writeString(Path target, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(target, channel -> {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) channel.write(buf);
        });
    }
}
