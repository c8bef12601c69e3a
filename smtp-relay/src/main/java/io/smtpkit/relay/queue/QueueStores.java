package io.smtpkit.relay.queue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Opens the store a {@code queue=} option names: a directory for {@link DiskQueueStore}, or a
 * {@code postgresql://…} / {@code jdbc:postgresql:…} URL for the PostgreSQL store, which a
 * {@link QueueStoreFactory} on the class path provides.
 */
public final class QueueStores {

    private QueueStores() {}

    /** True if {@code spec} names a database rather than a directory. */
    public static boolean isDatabase(String spec) {
        String s = spec.toLowerCase(Locale.ROOT);
        return s.startsWith("postgresql:") || s.startsWith("postgres:") || s.startsWith("jdbc:");
    }

    /**
     * Opens the store for a server that delivers from it.
     *
     * @param spec a directory, or a database URL
     * @param reserve what a disk queue keeps free (ignored by database stores)
     * @throws QueueLockedException when a disk queue is in use by another process
     * @throws IllegalArgumentException when no store on the class path takes the URL
     */
    public static QueueStore open(String spec, DiskQueueStore.Reserve reserve) throws IOException {
        if (!isDatabase(spec)) {
            return DiskQueueStore.open(Path.of(spec), reserve);
        }
        for (QueueStoreFactory f : ServiceLoader.load(QueueStoreFactory.class, QueueStores.class.getClassLoader())) {
            if (f.accepts(spec)) {
                return f.open(spec);
            }
        }
        throw new IllegalArgumentException("no PostgreSQL queue store on the class path for " + redact(spec));
    }

    /**
     * Opens the store for the {@code queue} command, also while a server runs from it. A database
     * store is opened as for a server. A disk queue a running server holds is read from its files,
     * and its changes (flush, delete, hold, release) are handed to that server, which carries them
     * out within about a second; the claim and record methods of such a view refuse.
     */
    public static QueueStore inspect(String spec) throws IOException {
        if (isDatabase(spec)) {
            return open(spec, DiskQueueStore.Reserve.DEFAULT);
        }
        try {
            return DiskQueueStore.open(Path.of(spec), new DiskQueueStore.Reserve(0, 0));
        } catch (QueueLockedException running) {
            return new RunningDiskQueue(Path.of(spec));
        }
    }

    /** The URL without a password ({@code user:secret@} → {@code user:***@}), for messages. */
    static String redact(String spec) {
        return spec.replaceAll("(//[^/:@]*:)[^@/]*@", "$1***@").replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
