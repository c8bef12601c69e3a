package io.smtpkit.inbox.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The captured messages, oldest first, at most {@code max} of them: adding one more drops the
 * oldest. With a Maildir folder, each message is also a file there (written under {@code tmp/},
 * renamed into {@code new/}, as the {@code maildir} handler does), read back at start and removed
 * when the message is deleted or dropped.
 *
 * <p>The file starts with {@code Return-Path:} and {@code Delivered-To:} lines for the envelope,
 * the layout the {@code maildir} handler writes, so either handler's folder can be opened by the
 * other; the message id is the middle part of the file name. The {@code maildir} handler itself is
 * not reused because it does not say which file it wrote, and deleting needs that.
 *
 * <p>Thread-safe: one lock around the map; listeners are told after it is released.
 */
public final class MessageStore {

    private static final Logger log = LoggerFactory.getLogger(MessageStore.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What changed, for the page's live updates. */
    public sealed interface Change {
        /** A message arrived. */
        record Added(StoredMessage message) implements Change {}

        /** Messages were removed: deleted, or dropped to stay within {@code max}. */
        record Removed(List<String> ids) implements Change {}

        /** Read marks changed. */
        record Marked(List<String> ids, boolean read) implements Change {}
    }

    private final int max;
    private final Path dir;
    private final String host;
    private final LinkedHashMap<String, StoredMessage> messages = new LinkedHashMap<>();
    private final List<Consumer<Change>> listeners = new CopyOnWriteArrayList<>();

    /**
     * A store keeping at most {@code max} messages, also in the Maildir {@code dir} if it is not
     * null (created if missing; the messages already there are loaded, oldest dropped beyond max).
     *
     * @throws UncheckedIOException if the folder cannot be created or read
     */
    public MessageStore(int max, Path dir) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, not " + max);
        }
        this.max = max;
        this.dir = dir;
        this.host = hostName();
        if (dir != null) {
            try {
                Files.createDirectories(dir.resolve("tmp"));
                Files.createDirectories(dir.resolve("new"));
                Files.createDirectories(dir.resolve("cur"));
                load();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot use maildir " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    /** A new random id: 16 bytes, base64url, 22 characters safe in a URL path. */
    static String newId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Calls {@code listener} after every change, on the thread that made it. */
    public void listen(Consumer<Change> listener) {
        listeners.add(listener);
    }

    /** Stores a message that just arrived and returns it. */
    public StoredMessage add(String sender, List<String> recipients, byte[] raw) throws IOException {
        String id = newId();
        Instant now = Instant.now();
        Path file = dir == null ? null : write(id, now, sender, recipients, raw);
        StoredMessage message = new StoredMessage(id, now, sender, recipients, raw, file, false);
        List<StoredMessage> dropped = new ArrayList<>();
        synchronized (this) {
            messages.put(id, message);
            var it = messages.values().iterator();
            while (messages.size() > max && it.hasNext()) {
                dropped.add(it.next());
                it.remove();
            }
        }
        dropped.forEach(this::unlink);
        tell(new Change.Added(message));
        if (!dropped.isEmpty()) {
            tell(new Change.Removed(dropped.stream().map(m -> m.id).toList()));
        }
        return message;
    }

    /** The messages, newest first. */
    public synchronized List<StoredMessage> newestFirst() {
        List<StoredMessage> list = new ArrayList<>(messages.values());
        java.util.Collections.reverse(list);
        return list;
    }

    public synchronized StoredMessage get(String id) {
        return messages.get(id);
    }

    /** The newest message, or null when there is none. */
    public synchronized StoredMessage latest() {
        StoredMessage last = null;
        for (StoredMessage m : messages.values()) {
            last = m;
        }
        return last;
    }

    public synchronized int size() {
        return messages.size();
    }

    public synchronized int unread() {
        int n = 0;
        for (StoredMessage m : messages.values()) {
            if (!m.isRead()) {
                n++;
            }
        }
        return n;
    }

    /** Deletes the messages with these ids (unknown ones are ignored); returns the ids deleted. */
    public List<String> delete(Collection<String> ids) {
        List<StoredMessage> removed = new ArrayList<>();
        synchronized (this) {
            for (String id : ids) {
                StoredMessage m = messages.remove(id);
                if (m != null) {
                    removed.add(m);
                }
            }
        }
        return removedAll(removed);
    }

    /** Deletes every message; returns the ids deleted. */
    public List<String> deleteAll() {
        List<StoredMessage> removed;
        synchronized (this) {
            removed = new ArrayList<>(messages.values());
            messages.clear();
        }
        return removedAll(removed);
    }

    private List<String> removedAll(List<StoredMessage> removed) {
        removed.forEach(this::unlink);
        List<String> ids = removed.stream().map(m -> m.id).toList();
        if (!ids.isEmpty()) {
            tell(new Change.Removed(ids));
        }
        return ids;
    }

    /** Sets the read mark of these messages (all of them if {@code ids} is empty). */
    public void mark(Collection<String> ids, boolean read) {
        List<String> changed = new ArrayList<>();
        synchronized (this) {
            Collection<StoredMessage> targets = ids.isEmpty() ? messages.values()
                    : ids.stream().map(messages::get).filter(java.util.Objects::nonNull).toList();
            for (StoredMessage m : targets) {
                if (m.isRead() != read) {
                    m.read(read);
                    changed.add(m.id);
                }
            }
        }
        if (!changed.isEmpty()) {
            tell(new Change.Marked(changed, read));
        }
    }

    private void tell(Change change) {
        for (Consumer<Change> l : listeners) {
            try {
                l.accept(change);
            } catch (RuntimeException e) {
                log.warn("inbox listener failed: {}", e.toString());
            }
        }
    }

    private Path write(String id, Instant now, String sender, List<String> recipients, byte[] raw) throws IOException {
        String name = now.getEpochSecond() + "." + id + "." + host;
        Path partial = dir.resolve("tmp").resolve(name);
        Path target = dir.resolve("new").resolve(name);
        try {
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = Channels.newOutputStream(channel);
                out.write(envelopeLines(sender, recipients));
                out.write(raw);
                channel.force(true);
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
    }

    private static byte[] envelopeLines(String sender, List<String> recipients) {
        // The server's grammar already refused CR, LF and controls in envelope paths.
        StringBuilder b = new StringBuilder("Return-Path: <").append(sender).append(">\r\n");
        for (String r : recipients) {
            b.append("Delivered-To: ").append(r).append("\r\n");
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void unlink(StoredMessage m) {
        if (m.file == null) {
            return;
        }
        try {
            Files.deleteIfExists(m.file);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", m.file, e.toString());
        }
    }

    private void load() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String sub : List.of("new", "cur")) {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir.resolve(sub))) {
                for (Path p : stream) {
                    if (Files.isRegularFile(p) && !p.getFileName().toString().startsWith(".")) {
                        files.add(p);
                    }
                }
            }
        }
        List<StoredMessage> loaded = new ArrayList<>();
        for (Path p : files) {
            try {
                loaded.add(read(p));
            } catch (IOException | RuntimeException e) {
                log.warn("inbox: skipping {}: {}", p, e.toString());
            }
        }
        loaded.sort(Comparator.comparing((StoredMessage m) -> m.created).thenComparing(m -> m.file.getFileName().toString()));
        List<StoredMessage> dropped = new ArrayList<>();
        for (StoredMessage m : loaded) {
            messages.put(m.id, m);
        }
        var it = messages.values().iterator();
        while (messages.size() > max && it.hasNext()) {
            dropped.add(it.next());
            it.remove();
        }
        dropped.forEach(this::unlink);
        if (!loaded.isEmpty()) {
            log.info("inbox: loaded {} messages from {}", messages.size(), dir);
        }
    }

    /** Reads a Maildir file: its envelope lines (if it has them), the rest as the message. */
    private StoredMessage read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        String name = file.getFileName().toString();
        String[] parts = name.split("\\.");
        // Our own files carry the id; files from elsewhere (the maildir handler, another MTA) get one.
        String id = parts.length >= 3 && parts[1].matches("[A-Za-z0-9_-]{22}") ? parts[1] : newId();
        Instant created = Files.getLastModifiedTime(file).toInstant();
        String sender = "";
        List<String> recipients = new ArrayList<>();
        int pos = 0;
        boolean envelope = false;
        while (true) {
            int end = lineEnd(bytes, pos);
            if (end < 0) {
                break;
            }
            String line = new String(bytes, pos, end - pos, StandardCharsets.UTF_8);
            if (pos == 0 && line.regionMatches(true, 0, "Return-Path:", 0, 12)) {
                sender = line.substring(12).strip().replaceAll("^<|>$", "");
                envelope = true;
            } else if (envelope && line.regionMatches(true, 0, "Delivered-To:", 0, 13)) {
                recipients.add(line.substring(13).strip());
            } else {
                break;
            }
            pos = end + (end + 1 < bytes.length && bytes[end] == '\r' ? 2 : 1);
        }
        byte[] raw = java.util.Arrays.copyOfRange(bytes, pos, bytes.length);
        boolean read = name.contains(":2,") && name.substring(name.indexOf(":2,")).contains("S");
        return new StoredMessage(id, created, sender, recipients, raw, file, read);
    }

    private static int lineEnd(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == '\n') {
                return i > from && b[i - 1] == '\r' ? i - 1 : i;
            }
        }
        return -1;
    }

    private static String hostName() {
        String name;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            name = "localhost";
        }
        return name.replace("/", "\\057").replace(":", "\\072");
    }

    /** The ids of the messages; for tests. */
    synchronized Set<String> ids() {
        return Set.copyOf(messages.keySet());
    }
}
