package io.smtpkit.protocol;

import io.smtpkit.protocol.transcript.RecordingOutput;
import io.smtpkit.protocol.transcript.Transcript;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Replays a {@link Transcript} against an in-memory {@link SmtpSession}, the way a transport
 * would: feeds the client's bytes in the chunks a split function chooses, answers decisions from
 * the transcript's script, drops input behind an accepted STARTTLS or after a close, and records
 * what the session did as transcript events. It also checks the rules a transport relies on and
 * fails with {@link AssertionError} when the session breaks one.
 */
final class TranscriptRunner {

    /** How one phase's input is cut into the chunks given to {@code receive}. */
    interface Splitter extends Function<byte[], List<byte[]>> {}

    /** The whole phase in one chunk. */
    static final Splitter WHOLE = input -> List.of(input);

    /** One byte per chunk. */
    static final Splitter BYTE_AT_A_TIME = input -> {
        List<byte[]> chunks = new ArrayList<>(input.length);
        for (byte b : input) {
            chunks.add(new byte[] {b});
        }
        return chunks;
    };

    /** Two chunks, cut at {@code at} (clamped to the input). */
    static Splitter cutAt(int at) {
        return input -> {
            int cut = Math.min(at, input.length);
            return List.of(Arrays.copyOfRange(input, 0, cut), Arrays.copyOfRange(input, cut, input.length));
        };
    }

    private TranscriptRunner() {}

    /** Runs {@code transcript}, splitting phase {@code splitPhase} with {@code splitter} (all phases when -1). */
    static List<String> run(Transcript transcript, int splitPhase, Splitter splitter) {
        return run(transcript, splitPhase, splitter, false);
    }

    /** The same, feeding direct buffers instead of heap ones when {@code direct}. */
    static List<String> run(Transcript transcript, int splitPhase, Splitter splitter, boolean direct) {
        RecordingOutput out = new RecordingOutput();
        SmtpSession session = new SmtpSession(transcript.sessionConfig(), out);
        Transcript.Script script = transcript.script();
        session.start();
        settle(session, script, out);
        List<Transcript.Phase> phases = transcript.phases();
        for (int p = 0; p < phases.size(); p++) {
            Transcript.Phase phase = phases.get(p);
            List<byte[]> chunks = splitPhase < 0 || splitPhase == p ? splitter.apply(phase.input()) : List.of(phase.input());
            for (byte[] chunk : chunks) {
                feed(session, script, out,
                        direct ? ByteBuffer.allocateDirect(chunk.length).put(chunk).flip() : ByteBuffer.wrap(chunk));
            }
            Transcript.Step action = phase.action();
            if (action instanceof Transcript.Tls tls) {
                if (!out.takeTlsRequest()) {
                    throw new AssertionError("T: tls, but the session did not accept STARTTLS; events so far:\n"
                            + Transcript.render(out.events()));
                }
                session.tlsStarted(tls.success());
            } else if (action instanceof Transcript.Timeout) {
                session.timeout();
            }
            settle(session, script, out);
        }
        out.assertNoPartialReply();
        script.assertAllUsed();
        return out.events();
    }

    private static void feed(SmtpSession session, Transcript.Script script, RecordingOutput out, ByteBuffer in) {
        while (in.hasRemaining()) {
            if (session.isClosed() || out.tlsRequested()) {
                return; // what a transport does: nothing more is read, the plaintext is dropped
            }
            int before = in.position();
            session.receive(in);
            if (session.awaiting() != null) {
                settle(session, script, out);
                continue;
            }
            // Otherwise receive() only returns early where content has just ended (a chunk's last
            // octet, the end-of-data line), so that the caller may slice the commands after it: it
            // must have read something, and what follows must be commands.
            if (in.hasRemaining() && !session.isClosed() && !out.tlsRequested()
                    && (in.position() == before || session.isReceivingContent())) {
                throw new AssertionError("receive() returned with " + in.remaining()
                        + " bytes left while not paused, closed, in TLS or at the end of content (state "
                        + session.state() + ")");
            }
        }
    }

    /** Answers decisions until the session no longer waits for one. */
    private static void settle(SmtpSession session, Transcript.Script script, RecordingOutput out) {
        Decision decision;
        while ((decision = session.awaiting()) != null) {
            if (decision instanceof Decision.Message m) {
                byte[] content = out.takeContent();
                if (m.size() != content.length) {
                    throw new AssertionError("Decision.Message size " + m.size() + " but " + content.length
                            + " content bytes were handed out");
                }
                out.events().add(Transcript.messageEvent(content));
                List<Reply> perRecipient = script.answerPerRecipient(m);
                if (perRecipient != null) {
                    session.resumePerRecipient(perRecipient);
                    continue;
                }
            }
            session.resume(script.answer(decision));
        }
    }
}
