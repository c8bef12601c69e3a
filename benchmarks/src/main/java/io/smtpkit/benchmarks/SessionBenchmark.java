package io.smtpkit.benchmarks;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.protocol.SessionOutput;
import io.smtpkit.protocol.SmtpSession;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Whole in-memory sessions per second: greeting, EHLO, MAIL, RCPT, DATA with a body of
 * {@code bodySize} octets, QUIT, every decision answered inline with the default. The client's
 * bytes arrive in 64 KiB reads, as from a socket; content is counted, not stored.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SessionBenchmark {

    @Param({"1024", "1048576"})
    public int bodySize;

    private static final int READ_SIZE = 64 * 1024;
    private final SessionConfig config = SessionConfig.builder().hostname("mx.example").build();
    private byte[] conversation;

    /** Counts what the session produces, so the JIT cannot drop it. */
    static final class CountingOutput implements SessionOutput {
        long replyBytes;
        long contentBytes;
        boolean closed;

        @Override public void send(byte[] reply) { replyBytes += reply.length; }
        @Override public void content(ByteBuffer chunk) { contentBytes += chunk.remaining(); }
        @Override public void discardContent() { contentBytes = 0; }
        @Override public void startTls() {}
        @Override public void close() { closed = true; }
    }

    @Setup
    public void setup() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bodySize + 256);
        out.writeBytes(("EHLO client.example\r\nMAIL FROM:<alice@example.org> SIZE=" + bodySize
                + "\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(Messages.stuffedBody(bodySize));
        out.writeBytes("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
        conversation = out.toByteArray();
        CountingOutput check = session();
        if (!check.closed || check.contentBytes < bodySize / 2) {
            throw new IllegalStateException("the benchmark conversation did not complete");
        }
    }

    @Benchmark
    public CountingOutput session() {
        CountingOutput out = new CountingOutput();
        SmtpSession session = new SmtpSession(config, out);
        session.start();
        session.resume(null);
        for (int from = 0; from < conversation.length && !session.isClosed(); from += READ_SIZE) {
            ByteBuffer in = ByteBuffer.wrap(conversation, from, Math.min(READ_SIZE, conversation.length - from));
            while (in.hasRemaining() && !session.isClosed()) {
                session.receive(in);
                if (session.awaiting() != null) {
                    session.resume(null);
                }
            }
        }
        return out;
    }
}
