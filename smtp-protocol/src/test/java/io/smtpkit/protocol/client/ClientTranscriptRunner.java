package io.smtpkit.protocol.client;

import io.smtpkit.protocol.transcript.Transcript;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Replays a {@link ClientTranscript} against a {@link ClientSession}: the server's bytes between
 * two actions are fed as one phase, cut by a splitter; after every feed and action the output and
 * events are drained into a {@link ClientTranscript.Recorder}.
 */
final class ClientTranscriptRunner {

    /** Cuts one phase's bytes into the pieces fed one by one. */
    interface Splitter extends Function<byte[], List<byte[]>> {}

    static final Splitter WHOLE = List::of;

    static final Splitter BYTE_AT_A_TIME = b -> {
        List<byte[]> pieces = new ArrayList<>();
        for (byte x : b) {
            pieces.add(new byte[] {x});
        }
        return pieces;
    };

    static Splitter cutAt(int cut) {
        return b -> cut >= b.length ? List.of(b)
                : List.of(java.util.Arrays.copyOfRange(b, 0, cut), java.util.Arrays.copyOfRange(b, cut, b.length));
    }

    private ClientTranscriptRunner() {}

    /** The number of input phases (each run of server bytes before an action or the end). */
    static int phases(ClientTranscript t) {
        int phases = 0;
        boolean open = false;
        for (ClientTranscript.Step step : t.steps()) {
            if (step instanceof ClientTranscript.Input) {
                open = true;
            } else if (step instanceof ClientTranscript.Action && open) {
                phases++;
                open = false;
            }
        }
        return phases + (open ? 1 : 0);
    }

    /** The bytes of input phase {@code p}. */
    static byte[] phase(ClientTranscript t, int p) {
        List<byte[]> all = inputs(t);
        return all.get(p);
    }

    private static List<byte[]> inputs(ClientTranscript t) {
        List<byte[]> phases = new ArrayList<>();
        java.io.ByteArrayOutputStream in = new java.io.ByteArrayOutputStream();
        boolean open = false;
        for (ClientTranscript.Step step : t.steps()) {
            if (step instanceof ClientTranscript.Input i) {
                in.writeBytes(i.bytes());
                open = true;
            } else if (step instanceof ClientTranscript.Action && open) {
                phases.add(in.toByteArray());
                in.reset();
                open = false;
            }
        }
        if (open) {
            phases.add(in.toByteArray());
        }
        return phases;
    }

    /** Runs with {@code splitter} for every phase. */
    static List<String> run(ClientTranscript t, Splitter splitter) {
        return runPhases(t, p -> splitter);
    }

    /** Runs with {@code splitter} for phase {@code only} and whole input elsewhere. */
    static List<String> run(ClientTranscript t, int only, Splitter splitter) {
        return runPhases(t, p -> p == only ? splitter : WHOLE);
    }

    /** Runs with the splitter {@code splitters} gives for each phase (numbered from 0). */
    static List<String> runPhases(ClientTranscript t, Function<Integer, Splitter> splitters) {
        ClientSession session = new ClientSession(t.clientConfig());
        if (t.secure()) {
            session.startSecure();
        }
        ClientTranscript.Recorder recorder = new ClientTranscript.Recorder();
        java.io.ByteArrayOutputStream in = new java.io.ByteArrayOutputStream();
        boolean open = false;
        int phase = 0;
        drain(session, recorder);
        for (ClientTranscript.Step step : t.steps()) {
            if (step instanceof ClientTranscript.Input i) {
                in.writeBytes(i.bytes());
                open = true;
            } else if (step instanceof ClientTranscript.Action a) {
                if (open) {
                    feed(session, recorder, splitters.apply(phase++).apply(in.toByteArray()));
                    in.reset();
                    open = false;
                }
                act(session, recorder, a);
                drain(session, recorder);
            }
        }
        if (open) {
            feed(session, recorder, splitters.apply(phase).apply(in.toByteArray()));
        }
        return recorder.finish();
    }

    private static void feed(ClientSession session, ClientTranscript.Recorder recorder, List<byte[]> pieces) {
        for (byte[] piece : pieces) {
            ByteBuffer b = ByteBuffer.wrap(piece);
            session.receive(b);
            if (b.hasRemaining()) {
                throw new AssertionError("receive() left input unread");
            }
            drain(session, recorder);
        }
    }

    private static void act(ClientSession session, ClientTranscript.Recorder recorder, ClientTranscript.Action a) {
        String text = a.text();
        switch (a.kind()) {
            case 'W' -> recorder.event("W: " + session.waiting());
            case 'T' -> {
                switch (text) {
                    case "tls" -> session.tlsStarted(true);
                    case "tls-fail" -> session.tlsStarted(false);
                    case "timeout" -> session.timeout();
                    case "eof" -> session.connectionLost();
                    default -> throw new IllegalArgumentException("unknown T: " + text);
                }
            }
            case 'A' -> {
                String verb = text.split(" ", 2)[0];
                String rest = text.length() > verb.length() ? text.substring(verb.length() + 1) : "";
                switch (verb) {
                    case "send" -> session.send(ClientTranscript.transaction(rest));
                    case "mail" -> session.mail(ClientTranscript.transaction(rest));
                    case "rcpt" -> session.rcpt(ClientTranscript.transaction("<> " + rest).recipients().get(0));
                    case "data" -> session.data();
                    case "rset" -> session.reset();
                    case "content" -> {
                        ByteBuffer chunk = ByteBuffer.wrap(Transcript.unescape(rest));
                        int before = chunk.position();
                        session.content(chunk);
                        if (chunk.position() != before) {
                            throw new AssertionError("content() moved the caller's buffer");
                        }
                        recorder.output(session.takeOutput()); // the views are valid only now
                    }
                    case "end" -> session.endContent();
                    case "quit" -> session.quit();
                    default -> throw new IllegalArgumentException("unknown A: " + text);
                }
            }
            default -> throw new IllegalArgumentException("unknown action " + a.kind());
        }
    }

    private static void drain(ClientSession session, ClientTranscript.Recorder recorder) {
        while (true) {
            recorder.output(session.takeOutput());
            ClientEvent e = session.next();
            if (e instanceof ClientEvent.NeedData || e instanceof ClientEvent.Paused) {
                return;
            }
            recorder.event(ClientTranscript.render(e));
        }
    }
}
