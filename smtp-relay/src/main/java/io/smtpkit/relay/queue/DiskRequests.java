package io.smtpkit.relay.queue;

import java.io.IOException;
import java.time.Instant;

/**
 * The changes the {@code queue} command may ask of a disk queue that a running server holds,
 * one line each ({@code flush}, {@code delete ID}, {@code hold ID}, {@code release ID}), and the
 * one-line answers ({@code ok N}, {@code missing}, {@code error TEXT}).
 */
final class DiskRequests {

    private DiskRequests() {}

    static String apply(QueueStore store, String request) throws IOException {
        String[] f = request.split(" ", 2);
        String id = f.length > 1 ? f[1].strip() : "";
        return switch (f[0]) {
            case "flush" -> "ok " + store.flush(Instant.now());
            case "delete" -> answer(store.delete(id));
            case "hold" -> answer(store.hold(id));
            case "release" -> answer(store.release(id));
            default -> "error unknown request " + f[0];
        };
    }

    private static String answer(boolean found) {
        return found ? "ok 1" : "missing";
    }
}
