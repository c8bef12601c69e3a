package io.smtpkit.server.internal;

/**
 * Memory an event loop holds back for the moment the heap runs out: given up on the first
 * Error, so that the loop can still log and close the connection that met it (which frees what
 * that connection held), and taken back at the next sweep. If it cannot be taken back, the heap is
 * gone for good and the loop stops. Owned by the loop thread. Not API.
 */
final class HeapReserve {

    private static final int SIZE = 1 << 20;

    private byte[] reserve = new byte[SIZE];

    /** After an Error met while serving one connection or task: frees the reserve if it was the heap. */
    void survive(Throwable e) {
        if (e instanceof VirtualMachineError) {
            reserve = null;
        }
    }

    /** The loop is dying: whatever it still logs may need this memory. */
    void release() {
        reserve = null;
    }

    /** Takes the reserve back; throws OutOfMemoryError if the heap has not recovered. */
    void restore() {
        if (reserve == null) {
            reserve = new byte[SIZE];
        }
    }

    /** Logging that cannot itself end the loop (it may need memory that is not there). */
    static void safeLog(String what, Throwable e) {
        try {
            Transport.log.warn(what, Printable.exception(e));
        } catch (Throwable ignored) {
            // nothing more can be said
        }
    }
}
