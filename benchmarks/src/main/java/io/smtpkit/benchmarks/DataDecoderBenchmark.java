package io.smtpkit.benchmarks;

import io.smtpkit.protocol.internal.DataDecoder;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * DATA decoding of a 1 MiB typical message against a plain {@link System#arraycopy} of the same
 * bytes. One operation is the whole message, so bytes/second = ops/s × 1 MiB. "decodeAndCopy"
 * copies what the decoder hands out into a buffer, as a transport spooling the message would;
 * "decodeOnly" only counts it, which isolates the scan; "decodeOnlyDirect" does so from a direct
 * buffer.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DataDecoderBenchmark {

    static final int SIZE = 1 << 20;

    private byte[] input;
    private ByteBuffer directInput;
    private byte[] target;
    private DataDecoder decoder;
    private int written;
    private long counted;
    private final Consumer<ByteBuffer> copyingSink = chunk -> {
        int n = chunk.remaining();
        chunk.get(chunk.position(), target, written, n);
        written += n;
    };
    private final Consumer<ByteBuffer> countingSink = chunk -> counted += chunk.remaining();

    @Setup
    public void setup() {
        input = Messages.stuffedBody(SIZE);
        target = new byte[input.length];
        directInput = ByteBuffer.allocateDirect(input.length).put(input).flip();
        decoder = new DataDecoder(true);
        // The decoder must find the end, or the benchmark measures nothing.
        if (!decoder.decode(ByteBuffer.wrap(input), countingSink) || counted >= input.length) {
            throw new IllegalStateException("benchmark message is not a complete DATA body");
        }
    }

    @Benchmark
    public byte[] arraycopy() {
        System.arraycopy(input, 0, target, 0, input.length);
        return target;
    }

    @Benchmark
    public int decodeAndCopy() {
        written = 0;
        decoder.reset();
        decoder.decode(ByteBuffer.wrap(input), copyingSink);
        return written;
    }

    /** The same from a direct buffer, as an NIO transport reading from a socket may hand it over. */
    @Benchmark
    public long decodeOnlyDirect() {
        counted = 0;
        decoder.reset();
        decoder.decode(directInput.duplicate(), countingSink);
        return counted;
    }

    @Benchmark
    public long decodeOnly() {
        counted = 0;
        decoder.reset();
        decoder.decode(ByteBuffer.wrap(input), countingSink);
        return counted;
    }
}
