package io.smtpkit.server.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The file side of a {@link Spool}: touched only by tasks of one {@link SerialLane}, one after
 * another, never by the event loop. The first error is kept and reported when the message is
 * finished; later writes are skipped.
 */
final class SpoolFile {

    private final Path directory;
    private Path path;
    private FileChannel channel;
    private IOException failure;

    SpoolFile(Path directory) {
        this.directory = directory;
    }

    void write(ByteBuffer data) {
        if (failure != null) {
            return;
        }
        try {
            open();
            while (data.hasRemaining()) {
                channel.write(data);
            }
        } catch (IOException e) {
            failure = e;
            closeQuietly();
        }
    }

    private void open() throws IOException {
        if (channel == null && path == null) {
            path = directory == null
                    ? Files.createTempFile("smtpkit-", ".eml")
                    : Files.createTempFile(directory, "smtpkit-", ".eml");
            channel = FileChannel.open(path, StandardOpenOption.WRITE);
        }
    }

    /** Closes the file and makes it a message; on an earlier error, deletes it and throws that. */
    SpooledMessage finish(byte[] header, long size) throws IOException {
        if (failure == null) {
            try {
                open();
                channel.close();
                channel = null;
                return new SpooledMessage(header, null, 0, path, size, () -> { });
            } catch (IOException e) {
                failure = e;
            }
        }
        delete();
        throw failure;
    }

    void delete() {
        closeQuietly();
        if (path != null) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // left in the temporary directory
            }
        }
    }

    private void closeQuietly() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            channel = null;
        }
    }
}
