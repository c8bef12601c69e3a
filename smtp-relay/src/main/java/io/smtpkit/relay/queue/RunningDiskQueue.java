package io.smtpkit.relay.queue;

import io.smtpkit.relay.queue.DiskFormat.Header;
import io.smtpkit.relay.queue.DiskFormat.Progress;
import io.smtpkit.relay.queue.RecipientState.State;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.UUID;

/**
 * The {@code queue} command's view of a disk queue that a running server holds: snapshots read
 * from the files (each was renamed into place whole, so a read sees an old state or a new one),
 * changes written as request files that the server carries out and answers. It never writes to
 * {@code active/} itself, so it cannot race the server's runner.
 */
final class RunningDiskQueue implements QueueStore {

    /** How long a change waits for the server's answer; its runner looks for requests every tick. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(15);

    private final Path dir;
    private final Path active;
    private final Path requests;

    RunningDiskQueue(Path dir) {
        this.dir = dir;
        this.active = dir.resolve("active");
        this.requests = dir.resolve("requests");
    }

    @Override
    public List<QueuedMessage> list() throws IOException {
        List<QueuedMessage> all = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(active, "*.msg")) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                read(name.substring(0, name.length() - 4)).ifPresent(all::add);
            }
        }
        all.sort(Comparator.comparing(QueuedMessage::arrival).thenComparing(QueuedMessage::id));
        return all;
    }

    @Override
    public Optional<QueuedMessage> get(String id) throws IOException {
        return validId(id) ? read(id) : Optional.empty();
    }

    private Optional<QueuedMessage> read(String id) throws IOException {
        Path msg = active.resolve(id + ".msg");
        try {
            Header h = DiskFormat.readHeader(msg);
            long size = Files.size(msg) - h.contentOffset();
            int n = h.envelope().recipients().size();
            Path state = active.resolve(id + ".state");
            Progress p;
            try {
                p = DiskFormat.readState(state, n);
            } catch (NoSuchFileException never) {
                p = Progress.initial(h.arrival(), n);
            }
            List<RecipientState> r = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                QueuedEnvelope.Recipient rc = h.envelope().recipients().get(i);
                State s = p.states().get(i);
                r.add(new RecipientState(rc.address(), rc.parameters(), p.held() && !s.isFinal() ? State.HELD : s,
                        p.replies().get(i)));
            }
            return Optional.of(new QueuedMessage(id, h.arrival(), size, h.envelope().sender(),
                    h.envelope().mailParameters(), r, p.attempts(), p.last(), p.next(), p.held()));
        } catch (NoSuchFileException delivered) {
            return Optional.empty(); // removed while we looked
        }
    }

    @Override
    public InputStream open(String id) throws IOException {
        if (!validId(id)) {
            throw new NoSuchElementException("no message " + id + " in the queue");
        }
        Path msg = active.resolve(id + ".msg");
        try {
            long offset = DiskFormat.readHeader(msg).contentOffset();
            InputStream in = Files.newInputStream(msg);
            in.skipNBytes(offset);
            return in;
        } catch (NoSuchFileException gone) {
            throw new NoSuchElementException("no message " + id + " in the queue");
        }
    }

    @Override
    public int flush(Instant now) throws IOException {
        String answer = ask("flush");
        return Integer.parseInt(answer.substring(3));
    }

    @Override
    public boolean delete(String id) throws IOException {
        return validId(id) && ask("delete " + id).startsWith("ok");
    }

    @Override
    public boolean hold(String id) throws IOException {
        return validId(id) && ask("hold " + id).startsWith("ok");
    }

    @Override
    public boolean release(String id) throws IOException {
        return validId(id) && ask("release " + id).startsWith("ok");
    }

    /** Writes a request whole (temporary name, then renamed) and waits for the server's answer. */
    private String ask(String request) throws IOException {
        String name = UUID.randomUUID().toString();
        Path temp = requests.resolve(name + ".tmp");
        Files.writeString(temp, request + "\n", StandardCharsets.UTF_8);
        Files.move(temp, requests.resolve(name + ".req"), StandardCopyOption.ATOMIC_MOVE);
        Path done = requests.resolve(name + ".done");
        long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
        try {
            while (!Files.exists(done)) {
                if (System.nanoTime() > deadline) {
                    Files.deleteIfExists(requests.resolve(name + ".req"));
                    throw new IOException("the server running the queue in " + dir + " did not answer within "
                            + ANSWER_TIMEOUT.toSeconds() + " s");
                }
                Thread.sleep(20); // a poll on a file another process writes; no notification to wait on
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the server", e);
        }
        String answer = Files.readString(done, StandardCharsets.UTF_8).strip();
        Files.deleteIfExists(done);
        if (answer.startsWith("error")) {
            throw new IOException("the server could not do it: " + answer.substring(5).strip());
        }
        return answer;
    }

    /** Ids are file names the store made: refuse anything that could name another file. */
    private static boolean validId(String id) {
        return id.matches("[0-9A-Za-z]{1,64}");
    }

    @Override
    public QueuedMessage enqueue(QueuedEnvelope envelope, InputStream content) {
        throw new UnsupportedOperationException("the queue is run by another process");
    }

    @Override
    public List<QueuedMessage> claimDue(Instant now, int max, Duration lease, String owner) {
        throw new UnsupportedOperationException("the queue is run by another process");
    }

    @Override
    public boolean renew(String id, String owner, Instant until) {
        throw new UnsupportedOperationException("the queue is run by another process");
    }

    @Override
    public boolean recordAttempt(String id, String owner, List<RecipientOutcome> outcomes, Instant now, Instant next) {
        throw new UnsupportedOperationException("the queue is run by another process");
    }

    @Override
    public boolean hasRoom(long size) {
        throw new UnsupportedOperationException("the queue is run by another process");
    }

    @Override
    public void close() {}
}
