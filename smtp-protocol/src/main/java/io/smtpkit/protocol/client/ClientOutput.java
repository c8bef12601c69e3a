package io.smtpkit.protocol.client;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * What a {@link ClientSession} has produced and not handed out yet: the bytes to write, the events
 * for its caller, and the replies its commands wait for, oldest first (the server answers in that
 * order). Each event remembers how much output came before it, so that {@link #take()} and
 * {@link #nextEvent()} together hand out bytes and events in the order they arose, however the
 * server's input was cut.
 */
final class ClientOutput {

    private final ArrayDeque<Outstanding> expected = new ArrayDeque<>();
    private final ArrayDeque<Pending> events = new ArrayDeque<>();
    private final List<ByteBuffer> output = new ArrayList<>();

    /** Writes a command line and waits for its reply. */
    void command(String line, Outstanding reply) {
        write(line);
        expected.add(reply);
    }

    /** Writes a line that gets no reply of its own (an AUTH answer is a command; "." is not). */
    void write(String line) {
        output.add(ByteBuffer.wrap((line + "\r\n").getBytes(StandardCharsets.UTF_8)));
    }

    /** The live list of buffers to write, for the content encoders that append views to it. */
    List<ByteBuffer> buffers() {
        return output;
    }

    /** Waits for one more reply to what was already written (a BDAT chunk, each LMTP verdict). */
    void expect(Outstanding reply) {
        expected.add(reply);
    }

    /** What the oldest outstanding command waits for, or {@code null}. */
    Outstanding expecting() {
        return expected.peek();
    }

    /** The oldest outstanding command got its reply. */
    void answered() {
        expected.poll();
    }

    boolean awaitsReply() {
        return !expected.isEmpty();
    }

    /** No reply is awaited any more: the session ends, or starts over with QUIT. */
    void forgetReplies() {
        expected.clear();
    }

    void emit(ClientEvent event) {
        events.add(new Pending(event, output.size()));
    }

    boolean hasEvents() {
        return !events.isEmpty();
    }

    /** The oldest event not taken, or {@code null}. */
    ClientEvent nextEvent() {
        Pending pending = events.poll();
        return pending == null ? null : pending.event;
    }

    /** True if {@link #take()} has bytes to give. */
    boolean hasOutput() {
        return (events.isEmpty() ? output.size() : events.peek().mark) > 0;
    }

    /** The bytes written before the oldest event not taken (all of them when none waits). */
    List<ByteBuffer> take() {
        int upTo = events.isEmpty() ? output.size() : events.peek().mark;
        List<ByteBuffer> taken = output.subList(0, upTo);
        List<ByteBuffer> out = List.copyOf(taken);
        taken.clear();
        for (Pending p : events) {
            p.mark -= upTo;
        }
        return out;
    }

    private static final class Pending {
        final ClientEvent event;
        int mark;

        Pending(ClientEvent event, int mark) {
            this.event = event;
            this.mark = mark;
        }
    }
}
