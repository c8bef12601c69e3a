package io.smtpkit.server.internal;

import io.smtpkit.protocol.MailPath;
import java.util.Map;

/**
 * What one connection holds of the server's two memory budgets: its open transaction's share of
 * the envelope budget, and its held input and unsent output's share of the buffer budget. Owned
 * by the event loop.
 */
final class MemoryShare {

    /** What an envelope entry costs besides its characters: objects, list and map slots. */
    private static final int ENTRY_OVERHEAD = 160;

    private final SharedLimits limits;
    /** Octets of the envelope budget the open transaction holds. */
    private long envelopeHeld;
    /** Octets of the buffer budget taken for held input and output. */
    private long buffersHeld;

    MemoryShare(SharedLimits limits) {
        this.limits = limits;
    }

    /**
     * Takes from the envelope budget what keeping {@code path} and {@code parameters} for the rest
     * of the transaction costs, at most: characters count twice, as a string of non-Latin-1 text
     * takes two octets a character. False (taking nothing) if the budget cannot pay.
     */
    boolean reserveEnvelope(Object client, MailPath path, Map<String, String> parameters) {
        long cost = ENTRY_OVERHEAD + 2L * (path.localPart().length() + (path.domain() == null ? 0 : path.domain().length()));
        for (Map.Entry<String, String> p : parameters.entrySet()) {
            cost += ENTRY_OVERHEAD / 2 + 2L * (p.getKey().length() + (p.getValue() == null ? 0 : p.getValue().length()));
        }
        if (!limits.takeEnvelope(client, cost)) {
            return false;
        }
        envelopeHeld += cost;
        return true;
    }

    /** Gives the envelope share back: the transaction it paid for is over. */
    void releaseEnvelope(Object client) {
        if (envelopeHeld > 0) {
            limits.giveEnvelope(client, envelopeHeld);
            envelopeHeld = 0;
        }
    }

    /** Brings the buffer share in line with {@code held} octets; false if the budget cannot pay for the growth. */
    boolean holdBuffers(long held) {
        if (held > buffersHeld && !limits.takeBuffers(held - buffersHeld)) {
            return false;
        }
        if (held < buffersHeld) {
            limits.giveBuffers(buffersHeld - held);
        }
        buffersHeld = held;
        return true;
    }

    /** Gives the buffer share back: the connection is closed. */
    void releaseBuffers() {
        limits.giveBuffers(buffersHeld);
        buffersHeld = 0;
    }
}
