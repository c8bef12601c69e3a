package io.smtpkit.server.handlers;

import com.google.auto.service.AutoService;
import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.server.HandlerOptionException;
import io.smtpkit.server.HandlerOptions;
import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import io.smtpkit.server.internal.Printable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers each message to a Maildir (aiosmtpd's {@code Mailbox}), the way MTAs do
 * (https://cr.yp.to/proto/maildir.html): the file is written under {@code tmp/}, flushed to disk,
 * then renamed into {@code new/}, so a reader never sees a partial message and a crash never
 * leaves one behind. The {@code 250} goes out only after the rename is on disk.
 *
 * <p>The envelope is recorded in front of the content: {@code Return-Path: <sender>} and one
 * {@code Delivered-To: <recipient>} per recipient (as Postfix's local delivery writes them).
 * If anything fails, the client gets {@code 451 4.3.0} and may retry; nothing is left in
 * {@code new/} and the partial file in {@code tmp/} is removed.
 */
public final class MaildirHandler implements SmtpHandler {

    private static final Logger log = LoggerFactory.getLogger(MaildirHandler.class);
    private static final Reply CANNOT_DELIVER = Reply.of(451, "4.3.0", "Error: cannot deliver to mailbox, try again later");

    private final Path tmp;
    private final Path fresh;
    private final String host;
    private final long pid = ProcessHandle.current().pid();
    private final AtomicLong counter = new AtomicLong();
    private final SecureRandom random = new SecureRandom();

    /**
     * A handler delivering into {@code dir}, creating {@code dir/tmp}, {@code dir/new} and
     * {@code dir/cur} if they are missing.
     *
     * @throws UncheckedIOException if the folders cannot be created
     */
    public MaildirHandler(Path dir) {
        try {
            this.tmp = Files.createDirectories(dir.resolve("tmp"));
            this.fresh = Files.createDirectories(dir.resolve("new"));
            Files.createDirectories(dir.resolve("cur"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create maildir " + dir + ": " + e.getMessage(), e);
        }
        this.host = maildirHostName();
    }

    /** The {@code new/} folder where delivered messages appear. */
    public Path newDirectory() {
        return fresh;
    }

    @Override
    public Reply onMessage(SessionContext session, Envelope envelope, Message message) {
        String name = uniqueName();
        Path partial = tmp.resolve(name);
        try {
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream file = Channels.newOutputStream(channel);
                file.write(envelopeHeaders(envelope));
                message.writeTo(file);
                channel.force(true);
            }
            Files.move(partial, fresh.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(fresh);
            return null;
        } catch (IOException | RuntimeException e) {
            log.warn("[{}] maildir delivery failed: {}", session.id(), Printable.of(e));
            try {
                Files.deleteIfExists(partial);
            } catch (IOException cleanup) {
                log.warn("[{}] cannot remove partial file {}: {}", session.id(), partial, Printable.of(cleanup));
            }
            return CANNOT_DELIVER;
        }
    }

    private static byte[] envelopeHeaders(Envelope envelope) {
        // Paths passed the protocol's grammar, so they hold no CR, LF or other control characters.
        StringBuilder headers = new StringBuilder("Return-Path: ").append(envelope.reversePath()).append("\r\n");
        for (MailPath recipient : envelope.recipients()) {
            headers.append("Delivered-To: ").append(recipient.address()).append("\r\n");
        }
        return headers.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A name no other delivery can produce: time, microseconds, process id, a per-handler
     * counter and random bits, then the host name, as the Maildir convention asks.
     */
    private String uniqueName() {
        long now = System.currentTimeMillis();
        long micros = (System.nanoTime() / 1000) % 1_000_000;
        return (now / 1000) + ".M" + micros + "P" + pid + "Q" + counter.incrementAndGet()
                + "R" + Long.toHexString(random.nextLong()) + "." + host;
    }

    private static String maildirHostName() {
        String name;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            name = "localhost";
        }
        // The convention's escapes for the two characters a file name here cannot hold.
        return name.replace("/", "\\057").replace(":", "\\072");
    }

    /** Makes the rename durable: on Linux a directory's entries reach the disk with its own fsync. */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory for reading; the rename itself has happened.
            log.debug("cannot fsync directory {}: {}", dir, Printable.of(e));
        }
    }

    /** Registers {@code maildir}. */
    @AutoService(HandlerProvider.class)
    public static final class Provider implements HandlerProvider {
        @Override
        public String name() {
            return "maildir";
        }

        @Override
        public List<String> aliases() {
            return List.of("Mailbox");
        }

        @Override
        public String description() {
            return "delivers each message atomically to a Maildir (tmp/ then new/)";
        }

        @Override
        public Map<String, String> options() {
            return Map.of("dir", "the Maildir folder; created with tmp/, new/ and cur/ if missing (required)");
        }

        @Override
        public SmtpHandler create(Map<String, String> options) {
            HandlerOptions o = HandlerOptions.of(name(), options, options().keySet());
            try {
                return new MaildirHandler(Path.of(o.required("dir")));
            } catch (UncheckedIOException | java.nio.file.InvalidPathException e) {
                throw new HandlerOptionException(name(), "dir", "option dir: " + e.getMessage(), e);
            }
        }
    }
}
