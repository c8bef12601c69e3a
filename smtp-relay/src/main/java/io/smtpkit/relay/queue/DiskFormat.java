package io.smtpkit.relay.queue;

import io.smtpkit.relay.queue.RecipientState.State;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The disk queue's two file kinds, written and read. A message file ({@code ID.msg}) is a header
 * of envelope lines, a blank line, then the content octets as received; it never changes once
 * in place. A state file ({@code ID.state}) holds what attempts made of it and is replaced whole;
 * a message without one has never been tried. Every value is percent-encoded (UTF-8), so a line
 * never holds a space, CR or LF it did not mean; {@code !} stands for "no value".
 */
final class DiskFormat {

    static final String MESSAGE_MAGIC = "smtpkit-queue 1";
    static final String STATE_MAGIC = "smtpkit-queue-state 1";
    private static final String NONE = "!";

    private DiskFormat() {}

    /** A message file's header, read back. */
    record Header(Instant arrival, QueuedEnvelope envelope, long contentOffset) {}

    /** A state file, read back; {@code states} and {@code replies} in recipient order. */
    record Progress(int attempts, Instant last, Instant next, boolean held, List<State> states, List<String> replies) {

        static Progress initial(Instant arrival, int recipients) {
            List<State> s = new ArrayList<>();
            List<String> r = new ArrayList<>();
            for (int i = 0; i < recipients; i++) {
                s.add(State.QUEUED);
                r.add(null);
            }
            return new Progress(0, null, arrival, false, s, r);
        }
    }

    static byte[] header(Instant arrival, QueuedEnvelope env) {
        StringBuilder b = new StringBuilder(256);
        b.append(MESSAGE_MAGIC).append('\n');
        b.append("arrival ").append(arrival.toEpochMilli()).append('\n');
        b.append("sender ").append(enc(env.sender())).append('\n');
        for (Map.Entry<String, String> p : env.mailParameters().entrySet()) {
            b.append("mail ").append(enc(p.getKey())).append(' ').append(enc(p.getValue())).append('\n');
        }
        for (QueuedEnvelope.Recipient r : env.recipients()) {
            b.append("rcpt ").append(enc(r.address())).append('\n');
            for (Map.Entry<String, String> p : r.parameters().entrySet()) {
                b.append("param ").append(enc(p.getKey())).append(' ').append(enc(p.getValue())).append('\n');
            }
        }
        b.append('\n');
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static Header readHeader(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 4096)) {
            long offset = 0;
            String sender = null;
            Instant arrival = null;
            Map<String, String> mail = new LinkedHashMap<>();
            List<String> rcpts = new ArrayList<>();
            List<Map<String, String>> params = new ArrayList<>();
            boolean first = true;
            while (true) {
                byte[] raw = line(in);
                if (raw == null) {
                    throw new IOException(file + ": the header does not end");
                }
                offset += raw.length + 1;
                String line = new String(raw, StandardCharsets.US_ASCII);
                if (first) {
                    if (!line.equals(MESSAGE_MAGIC)) {
                        throw new IOException(file + ": not a queue file");
                    }
                    first = false;
                    continue;
                }
                if (line.isEmpty()) {
                    break;
                }
                String[] f = line.split(" ", -1);
                switch (f[0]) {
                    case "arrival" -> arrival = Instant.ofEpochMilli(Long.parseLong(f[1]));
                    case "sender" -> sender = dec(f[1]);
                    case "mail" -> mail.put(dec(f[1]), dec(f[2]));
                    case "rcpt" -> {
                        rcpts.add(dec(f[1]));
                        params.add(new LinkedHashMap<>());
                    }
                    case "param" -> params.get(params.size() - 1).put(dec(f[1]), dec(f[2]));
                    default -> throw new IOException(file + ": unknown header line " + f[0]);
                }
            }
            if (arrival == null || sender == null || rcpts.isEmpty()) {
                throw new IOException(file + ": incomplete header");
            }
            List<QueuedEnvelope.Recipient> r = new ArrayList<>();
            for (int i = 0; i < rcpts.size(); i++) {
                r.add(new QueuedEnvelope.Recipient(rcpts.get(i), params.get(i)));
            }
            return new Header(arrival, new QueuedEnvelope(sender, mail, r), offset);
        }
    }

    static byte[] state(Progress p) {
        StringBuilder b = new StringBuilder(128);
        b.append(STATE_MAGIC).append('\n');
        b.append("attempts ").append(p.attempts()).append('\n');
        b.append("last ").append(p.last() == null ? NONE : Long.toString(p.last().toEpochMilli())).append('\n');
        b.append("next ").append(p.next().toEpochMilli()).append('\n');
        b.append("held ").append(p.held() ? 1 : 0).append('\n');
        for (int i = 0; i < p.states().size(); i++) {
            b.append("r ").append(p.states().get(i).name()).append(' ').append(enc(p.replies().get(i))).append('\n');
        }
        b.append("end\n"); // a state file is renamed into place whole; this marks that it was written whole
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static Progress readState(Path file, int recipients) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        if (lines.isEmpty() || !lines.get(0).equals(STATE_MAGIC) || !lines.get(lines.size() - 1).equals("end")) {
            throw new IOException(file + ": not a whole state file");
        }
        int attempts = 0;
        Instant last = null;
        Instant next = null;
        boolean held = false;
        List<State> states = new ArrayList<>();
        List<String> replies = new ArrayList<>();
        for (String line : lines.subList(1, lines.size() - 1)) {
            String[] f = line.split(" ", -1);
            switch (f[0]) {
                case "attempts" -> attempts = Integer.parseInt(f[1]);
                case "last" -> last = f[1].equals(NONE) ? null : Instant.ofEpochMilli(Long.parseLong(f[1]));
                case "next" -> next = Instant.ofEpochMilli(Long.parseLong(f[1]));
                case "held" -> held = f[1].equals("1");
                case "r" -> {
                    states.add(State.valueOf(f[1]));
                    replies.add(dec(f[2]));
                }
                default -> throw new IOException(file + ": unknown state line " + f[0]);
            }
        }
        if (next == null || states.size() != recipients) {
            throw new IOException(file + ": state does not match its message");
        }
        return new Progress(attempts, last, next, held, states, replies);
    }

    /** Writes {@code data} to {@code file} (new), forced to the disk before it returns. */
    static void writeSynced(Path file, byte[]... data) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (byte[] d : data) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(d);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
            ch.force(true);
        }
    }

    /** fsync of a directory: makes the renames and deletions in it durable (Postfix's order: file, rename, directory). */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static byte[] line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return b.toByteArray();
            }
            b.write(c);
        }
        return null;
    }

    static String enc(String s) {
        return s == null ? NONE : s.isEmpty() ? "%" : URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static String dec(String s) {
        return s.equals(NONE) ? null : s.equals("%") ? "" : URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
