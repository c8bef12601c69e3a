package io.smtpkit.relay.queue;

import io.smtpkit.relay.queue.DiskFormat.Header;
import io.smtpkit.relay.queue.DiskFormat.Progress;
import io.smtpkit.relay.queue.RecipientState.State;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link QueueStore} in one directory of the local file system, as safe as Postfix's queue on
 * one machine. The layout (see ARCHITECTURE.md):
 * <pre>
 * DIR/lock              locked (fcntl) by the one process that runs the queue
 * DIR/incoming/         files being written: never read, emptied at start
 * DIR/active/ID.msg     the envelope header and the content, never changed once in place
 * DIR/active/ID.state   what attempts made of it, replaced whole (absent: never tried)
 * DIR/requests/         flush/delete/hold/release from the {@code queue} command while a server runs
 * DIR/corrupt/          files that could not be read at start, kept for a person to look at
 * </pre>
 *
 * <p>Enqueue writes {@code incoming/ID.msg}, forces it to the disk, renames it into
 * {@code active/} and forces the directory: only then does {@link #enqueue} return, so the relay's
 * 250 follows the rename being on disk, and a crash at any point before leaves nothing in
 * {@code active/}. A state change is written the same way (temporary file, fsync, rename over
 * the old state, directory fsync), so a crash leaves the old state or the new one, never half.
 * A crash after a delivery and before its record makes that delivery happen again: at-least-once.
 *
 * <p>One process owns the directory (it holds {@code DIR/lock}); leases are kept in its memory.
 * The {@code queue} command reads the files of a running server's queue directly (every file it
 * reads was renamed into place whole) and asks for changes through {@code requests/}, which the
 * owner carries out the next time its runner looks for due work ({@link QueueStores#inspect}).
 */
public final class DiskQueueStore implements QueueStore {

    private static final Logger log = LoggerFactory.getLogger(DiskQueueStore.class);
    private static final AtomicLong SEQUENCE = new AtomicLong();

    /** Octets or a share of the file system that enqueueing must leave free. */
    public record Reserve(long bytes, double percent) {

        /** Postfix refuses mail when less than 1.5 × the message size limit is free; 100 MiB is our fixed floor. */
        public static final Reserve DEFAULT = new Reserve(100L << 20, 0);

        /**
         * Reads {@code 100M}, {@code 2G}, {@code 512k}, {@code 1048576} (octets) or {@code 5%} (of the file system).
         *
         * @throws IllegalArgumentException for anything else
         */
        public static Reserve parse(String s) {
            String t = s.strip();
            try {
                if (t.endsWith("%")) {
                    double p = Double.parseDouble(t.substring(0, t.length() - 1));
                    if (p < 0 || p >= 100) {
                        throw new IllegalArgumentException("a reserve share is between 0% and 100%, not " + s);
                    }
                    return new Reserve(0, p);
                }
                long unit = 1;
                char last = Character.toUpperCase(t.isEmpty() ? ' ' : t.charAt(t.length() - 1));
                switch (last) {
                    case 'K' -> unit = 1L << 10;
                    case 'M' -> unit = 1L << 20;
                    case 'G' -> unit = 1L << 30;
                    case 'T' -> unit = 1L << 40;
                    default -> unit = 1;
                }
                String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
                long n = Long.parseLong(digits);
                if (n < 0 || n > Long.MAX_VALUE / unit) {
                    throw new IllegalArgumentException("not a size: " + s);
                }
                return new Reserve(n * unit, 0);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a size (like 100M or 5%): " + s);
            }
        }

        long bytesOf(FileStore fs) throws IOException {
            return Math.max(bytes, (long) (fs.getTotalSpace() * (percent / 100)));
        }
    }

    /** One message in memory: its immutable header and its state as last written. */
    private static final class Entry {
        final String id;
        final Header header;
        final long size;
        /** Held while this message's files are written: one change at a time per message. */
        final Object io = new Object();
        Progress progress;
        boolean removed;
        String leaseOwner;
        Instant leaseUntil;

        Entry(String id, Header header, long size, Progress progress) {
            this.id = id;
            this.header = header;
            this.size = size;
            this.progress = progress;
        }

        boolean leasedAt(Instant now) {
            return leaseOwner != null && leaseUntil.isAfter(now);
        }

        boolean leasedBy(String owner) {
            return owner.equals(leaseOwner);
        }

        QueuedMessage snapshot() {
            List<RecipientState> r = new ArrayList<>();
            List<QueuedEnvelope.Recipient> rcpts = header.envelope().recipients();
            for (int i = 0; i < rcpts.size(); i++) {
                State s = progress.states().get(i);
                if (progress.held() && !s.isFinal()) {
                    s = State.HELD;
                }
                r.add(new RecipientState(rcpts.get(i).address(), rcpts.get(i).parameters(), s, progress.replies().get(i)));
            }
            return new QueuedMessage(id, header.arrival(), size, header.envelope().sender(),
                    header.envelope().mailParameters(), r, progress.attempts(), progress.last(), progress.next(),
                    progress.held());
        }
    }

    private final Path dir;
    private final Path incoming;
    private final Path active;
    private final Path requests;
    private final Reserve reserve;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Map<String, Entry> entries = new HashMap<>();
    private boolean closed;

    private DiskQueueStore(Path dir, Reserve reserve, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.incoming = dir.resolve("incoming");
        this.active = dir.resolve("active");
        this.requests = dir.resolve("requests");
        this.reserve = reserve;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Opens (creating when needed) the queue in {@code dir} with the default reserve. */
    public static DiskQueueStore open(Path dir) throws IOException {
        return open(dir, Reserve.DEFAULT);
    }

    /**
     * Opens (creating when needed) the queue in {@code dir}, recovering what a crash left: half-written
     * files are deleted, every message in place is due at once.
     *
     * @throws QueueLockedException when another process (or another store in this one) has it open
     */
    public static DiskQueueStore open(Path dir, Reserve reserve) throws IOException {
        Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new QueueLockedException(dir);
        }
        DiskQueueStore store = new DiskQueueStore(dir, reserve, ch, lock);
        try {
            store.recover();
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /** The queue's directory. */
    public Path directory() {
        return dir;
    }

    private void recover() throws IOException {
        boolean created = false;
        for (Path d : List.of(incoming, active, requests)) {
            created |= !Files.isDirectory(d);
            Files.createDirectories(d);
        }
        if (created) {
            // a new queue: the directories' own entries must be durable before the first 250
            syncDirectory(dir);
            if (dir.toAbsolutePath().getParent() != null) {
                syncDirectory(dir.toAbsolutePath().getParent());
            }
        }
        try (DirectoryStream<Path> half = Files.newDirectoryStream(incoming)) {
            for (Path p : half) {
                Files.deleteIfExists(p); // never renamed into place: the client got no 250 for it
            }
        }
        Set<String> states = new LinkedHashSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(active)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                if (name.endsWith(".msg")) {
                    load(name.substring(0, name.length() - 4));
                } else if (name.endsWith(".state")) {
                    states.add(name.substring(0, name.length() - 6));
                }
            }
        }
        for (String id : states) {
            if (!entries.containsKey(id)) {
                Files.deleteIfExists(active.resolve(id + ".state")); // its message was removed before the crash
            }
        }
        syncDirectory(active);
        log.info("queue {}: {} message(s) in the queue", dir, entries.size());
    }

    private void load(String id) throws IOException {
        Path msg = active.resolve(id + ".msg");
        try {
            Header h = DiskFormat.readHeader(msg);
            long size = Files.size(msg) - h.contentOffset();
            Path statePath = active.resolve(id + ".state");
            Progress p = Files.exists(statePath)
                    ? DiskFormat.readState(statePath, h.envelope().recipients().size())
                    : Progress.initial(h.arrival(), h.envelope().recipients().size());
            entries.put(id, new Entry(id, h, size, p));
        } catch (IOException | RuntimeException e) {
            Path corrupt = dir.resolve("corrupt");
            Files.createDirectories(corrupt);
            log.error("queue {}: {} cannot be read ({}); moved to {}", dir, msg, e.getMessage(), corrupt);
            Files.move(msg, corrupt.resolve(msg.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            Path statePath = active.resolve(id + ".state");
            if (Files.exists(statePath)) {
                Files.move(statePath, corrupt.resolve(statePath.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    @Override
    public QueuedMessage enqueue(QueuedEnvelope envelope, InputStream content) throws IOException {
        QueuedEnvelope env = distinct(envelope);
        Instant arrival = Instant.ofEpochMilli(System.currentTimeMillis());
        String id = newId(arrival);
        byte[] header = DiskFormat.header(arrival, env);
        Path temp = incoming.resolve(id + ".msg");
        long size;
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            OutputStream out = Channels.newOutputStream(ch);
            out.write(header);
            size = content.transferTo(out);
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        Path target = active.resolve(id + ".msg");
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(active); // the rename is durable: now, and only now, may the client hear 250
        Header h = new Header(arrival, env, header.length);
        Entry e = new Entry(id, h, size, Progress.initial(arrival, env.recipients().size()));
        synchronized (this) {
            entries.put(id, e);
            return e.snapshot();
        }
    }

    private static QueuedEnvelope distinct(QueuedEnvelope env) {
        Set<String> seen = new java.util.HashSet<>();
        List<QueuedEnvelope.Recipient> r = new ArrayList<>();
        for (QueuedEnvelope.Recipient x : env.recipients()) {
            if (seen.add(x.address())) {
                r.add(x);
            }
        }
        return r.size() == env.recipients().size() ? env : new QueuedEnvelope(env.sender(), env.mailParameters(), r);
    }

    private String newId(Instant arrival) {
        // time first so ids sort by arrival in a listing; the sequence keeps ids of one millisecond apart
        while (true) {
            String id = String.format("%011X%05X", arrival.toEpochMilli(), SEQUENCE.getAndIncrement() & 0xFFFFF);
            if (!Files.exists(active.resolve(id + ".msg"))) {
                return id;
            }
        }
    }

    @Override
    public List<QueuedMessage> claimDue(Instant now, int max, Duration lease, String owner) throws IOException {
        try {
            applyRequests();
        } catch (IOException | RuntimeException e) {
            log.warn("queue {}: cannot read the queue command's requests: {}", dir, e.toString());
        }
        if (max <= 0) {
            return List.of();
        }
        synchronized (this) {
            List<Entry> due = new ArrayList<>();
            for (Entry e : entries.values()) {
                if (!e.progress.held() && !e.progress.next().isAfter(now) && !e.leasedAt(now)) {
                    due.add(e);
                }
            }
            due.sort(Comparator.comparing((Entry e) -> e.progress.next()).thenComparing(e -> e.id));
            List<QueuedMessage> claimed = new ArrayList<>();
            for (Entry e : due.subList(0, Math.min(max, due.size()))) {
                e.leaseOwner = owner;
                e.leaseUntil = now.plus(lease);
                claimed.add(e.snapshot());
            }
            return claimed;
        }
    }

    @Override
    public synchronized boolean renew(String id, String owner, Instant until) {
        Entry e = entries.get(id);
        if (e == null || !e.leasedBy(owner)) {
            return false;
        }
        e.leaseUntil = until;
        return true;
    }

    @Override
    public InputStream open(String id) throws IOException {
        Entry e;
        synchronized (this) {
            e = entries.get(id);
        }
        if (e == null) {
            throw new NoSuchElementException("no message " + id + " in the queue");
        }
        InputStream in;
        try {
            in = Files.newInputStream(active.resolve(id + ".msg"));
        } catch (NoSuchFileException gone) {
            throw new NoSuchElementException("no message " + id + " in the queue");
        }
        in.skipNBytes(e.header.contentOffset());
        return in;
    }

    @Override
    public boolean recordAttempt(String id, String owner, List<RecipientOutcome> outcomes, Instant now,
            Instant nextAttempt) throws IOException {
        return change(id, owner, e -> {
            if (!e.leasedBy(owner)) {
                return REFUSED;
            }
            List<String> addresses = e.header.envelope().addresses();
            List<State> states = new ArrayList<>(e.progress.states());
            List<String> replies = new ArrayList<>(e.progress.replies());
            for (RecipientOutcome o : outcomes) {
                int i = addresses.indexOf(o.address());
                if (i >= 0 && !states.get(i).isFinal()) {
                    states.set(i, o.result().state());
                    replies.set(i, o.reply());
                }
            }
            return states.stream().allMatch(State::isFinal) ? REMOVE
                    : new Progress(e.progress.attempts() + 1, now, nextAttempt, e.progress.held(), states, replies);
        });
    }

    @Override
    public List<QueuedMessage> list() throws IOException {
        applyRequests();
        synchronized (this) {
            return entries.values().stream()
                    .sorted(Comparator.comparing((Entry e) -> e.header.arrival()).thenComparing(e -> e.id))
                    .map(Entry::snapshot).toList();
        }
    }

    @Override
    public synchronized Optional<QueuedMessage> get(String id) {
        Entry e = entries.get(id);
        return e == null ? Optional.empty() : Optional.of(e.snapshot());
    }

    @Override
    public int flush(Instant now) throws IOException {
        List<String> ids;
        synchronized (this) {
            ids = new ArrayList<>(entries.keySet());
        }
        int[] due = {0};
        for (String id : ids) {
            change(id, null, e -> {
                if (e.progress.held()) {
                    return KEEP;
                }
                due[0]++;
                return e.progress.next().isAfter(now) ? with(e.progress, now, false) : KEEP;
            });
        }
        return due[0];
    }

    @Override
    public boolean delete(String id) throws IOException {
        return change(id, null, e -> REMOVE);
    }

    @Override
    public boolean hold(String id) throws IOException {
        return change(id, null, e -> e.progress.held() ? KEEP : with(e.progress, e.progress.next(), true));
    }

    @Override
    public boolean release(String id) throws IOException {
        Instant now = Instant.ofEpochMilli(System.currentTimeMillis());
        return change(id, null, e -> with(e.progress, e.progress.next().isAfter(now) ? now : e.progress.next(), false));
    }

    @Override
    public boolean hasRoom(long size) throws IOException {
        FileStore fs = Files.getFileStore(active);
        return fs.getUsableSpace() - Math.max(0, size) >= reserve.bytesOf(fs);
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock.release();
        } finally {
            lockChannel.close();
        }
    }

    private static Progress with(Progress p, Instant next, boolean held) {
        return new Progress(p.attempts(), p.last(), next, held, p.states(), p.replies());
    }

    // What a change may decide besides a new progress; compared by identity.
    private static final Progress KEEP = new Progress(0, null, Instant.EPOCH, false, List.of(), List.of());
    private static final Progress REMOVE = new Progress(0, null, Instant.EPOCH, false, List.of(), List.of());
    private static final Progress REFUSED = new Progress(0, null, Instant.EPOCH, false, List.of(), List.of());

    /**
     * Changes one message: {@code decide} looks at it under the store's lock (memory only) and
     * says what to write; the files are written under the message's own lock alone, so the fsyncs
     * of different messages overlap and never hold up an enqueue or a claim. When {@code owner} is
     * given, its lease ends once the new state is in place, not before: until then a claim by
     * someone else would see the old state and deliver again.
     *
     * @return false when there is no such message or {@code decide} refused
     */
    private boolean change(String id, String owner, java.util.function.Function<Entry, Progress> decide) throws IOException {
        Entry e;
        synchronized (this) {
            e = entries.get(id);
        }
        if (e == null) {
            return false;
        }
        synchronized (e.io) {
            Progress p;
            synchronized (this) {
                if (e.removed) {
                    return false;
                }
                p = decide.apply(e);
            }
            if (p == REFUSED) {
                return false;
            }
            if (p == REMOVE) {
                // the message first: a state file left alone by a crash is deleted at the next start
                Files.deleteIfExists(active.resolve(e.id + ".msg"));
                Files.deleteIfExists(active.resolve(e.id + ".state"));
                syncDirectory(active);
            } else if (p != KEEP) {
                Path temp = incoming.resolve(e.id + "." + SEQUENCE.getAndIncrement() + ".state");
                DiskFormat.writeSynced(temp, DiskFormat.state(p));
                Files.move(temp, active.resolve(e.id + ".state"), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
                syncDirectory(active);
            }
            synchronized (this) {
                if (p == REMOVE) {
                    e.removed = true;
                    entries.remove(e.id);
                } else if (p != KEEP) {
                    e.progress = p;
                }
                if (owner != null && e.leasedBy(owner)) {
                    e.leaseOwner = null;
                    e.leaseUntil = null;
                }
            }
            return true;
        }
    }

    private static void syncDirectory(Path d) throws IOException {
        DiskFormat.syncDirectory(d);
    }

    /** Carries out what the {@code queue} command asked for while this process held the queue. */
    void applyRequests() throws IOException {
        List<Path> pending = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(requests, "*.req")) {
            files.forEach(pending::add);
        }
        for (Path req : pending) {
            String answer;
            try {
                answer = DiskRequests.apply(this, Files.readString(req).strip());
            } catch (IOException | RuntimeException ex) {
                answer = "error " + ex.getMessage();
            }
            // One request that cannot be answered (a full disk, say) must not stop the claims
            // that would drain the queue: it stays and is tried again at the next look.
            try {
                String name = req.getFileName().toString();
                Path temp = incoming.resolve(name + ".done");
                DiskFormat.writeSynced(temp, (answer + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                Files.move(temp, requests.resolve(name.substring(0, name.length() - 4) + ".done"), StandardCopyOption.ATOMIC_MOVE);
                Files.deleteIfExists(req);
            } catch (IOException | RuntimeException ex) {
                log.warn("queue {}: cannot answer the request {}: {}", dir, req.getFileName(), ex.toString());
            }
        }
    }
}
