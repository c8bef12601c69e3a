package io.smtpkit.server.internal;

import static io.smtpkit.protocol.FuzzSupport.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.smtpkit.server.internal.ProxyHeader.Result;
import io.smtpkit.server.internal.ProxyHeader.Status;
import java.nio.ByteBuffer;

/**
 * {@link ProxyHeader#parse} on any octets: never throws, leaves the buffer as it was, a result's
 * fields agree with its status, what follows a complete header does not change it, and every
 * prefix of a complete header needs more (never INVALID: a header must not be refused for
 * arriving in pieces).
 */
class ProxyHeaderFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void parse(byte[] input) {
        ByteBuffer buffer = ByteBuffer.wrap(input);
        Result r = ProxyHeader.parse(buffer);
        check(buffer.position() == 0 && buffer.limit() == input.length, "parse moved the buffer");
        boolean complete = r.status() == Status.PROXIED || r.status() == Status.LOCAL;
        check(complete == r.consumed() > 0, () -> "consumed " + r.consumed() + " for " + r.status());
        check(r.consumed() <= input.length, () -> "consumed " + r.consumed() + " of " + input.length);
        check((r.status() == Status.PROXIED) == (r.source() != null && r.destination() != null), r::toString);
        check((r.status() == Status.INVALID) == (r.reason() != null), r::toString);
        if (complete) {
            check(r.equals(ProxyHeader.parse(ByteBuffer.wrap(input, 0, r.consumed()).slice())),
                    () -> "the header alone parses otherwise than with what follows: " + r);
            for (int cut : new int[] {0, 1, r.consumed() / 2, r.consumed() - 1}) {
                Result part = ProxyHeader.parse(ByteBuffer.wrap(input, 0, cut));
                check(part.status() == Status.NEED_MORE, () -> "a prefix of " + cut + " octets: " + part);
            }
        }
    }
}
