package io.smtpkit.server;

import io.smtpkit.protocol.Reply;
import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link ConnectionTap.Listener} wants done at the point it was asked. Where an action
 * does not apply (a refusal in the middle of content, say), it is logged and taken as
 * {@link #proceed()}.
 */
public sealed interface TapAction {

    /** Go on as if untapped. */
    static TapAction proceed() {
        return Proceed.INSTANCE;
    }

    /**
     * Answer the command with {@code reply} instead of the session (a 4xx or 5xx: the session's
     * state does not change, so a refusal is always consistent). A {@code 421} closes the connection
     * once written. Only for {@link ConnectionTap.Listener#command}, and not for a line of a SASL
     * exchange or a {@code BDAT} command, whose chunk follows at once: there the session must see
     * the line, so the refusal is taken as {@link #proceed()}.
     */
    static TapAction refuse(Reply reply) {
        return new Refuse(reply);
    }

    /** Wait {@code delay}, then go on: a slow server. Nothing is read from the client meanwhile. */
    static TapAction delay(Duration delay) {
        return new Delay(delay);
    }

    /** Close the connection now, without a reply. */
    static TapAction disconnect() {
        return Disconnect.INSTANCE;
    }

    /**
     * Read and send nothing more, keeping the connection open until the client gives up or the
     * server's idle timeout ends it: a hung server.
     */
    static TapAction stall() {
        return Stall.INSTANCE;
    }

    /**
     * Go on, but from now on read at most {@code octetsPerSecond} from this client: a slow reader,
     * against which a client's write timeouts can be tested.
     */
    static TapAction throttle(int octetsPerSecond) {
        return new Throttle(octetsPerSecond);
    }

    /** See {@link #proceed()}. */
    enum Proceed implements TapAction { INSTANCE }

    /** See {@link #disconnect()}. */
    enum Disconnect implements TapAction { INSTANCE }

    /** See {@link #stall()}. */
    enum Stall implements TapAction { INSTANCE }

    /** See {@link #refuse(Reply)}. */
    record Refuse(Reply reply) implements TapAction {
        /** Checks that the reply refuses. */
        public Refuse {
            Objects.requireNonNull(reply, "reply");
            if (reply.code() < 400) {
                throw new IllegalArgumentException("a tap can only refuse (4xx/5xx), not answer " + reply.code());
            }
        }
    }

    /** See {@link #delay(Duration)}. */
    record Delay(Duration delay) implements TapAction {
        /** Checks that the delay is not negative. */
        public Delay {
            if (delay.isNegative()) {
                throw new IllegalArgumentException("delay must not be negative: " + delay);
            }
        }
    }

    /** See {@link #throttle(int)}. */
    record Throttle(int octetsPerSecond) implements TapAction {
        /** Checks that the rate is positive. */
        public Throttle {
            if (octetsPerSecond < 1) {
                throw new IllegalArgumentException("octetsPerSecond must be at least 1: " + octetsPerSecond);
            }
        }
    }
}
