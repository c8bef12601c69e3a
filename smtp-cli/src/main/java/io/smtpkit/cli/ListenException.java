package io.smtpkit.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The server could not listen where it was asked to (a port in use, an address not on this
 * machine, a privileged port): a usage error naming the addresses the command asked for and the
 * operating system's reason.
 */
final class ListenException extends UsageError {

    private static final long serialVersionUID = 1L;

    private final transient List<InetSocketAddress> requested;

    ListenException(List<InetSocketAddress> plain, InetSocketAddress tls, IOException cause) {
        super("cannot listen on " + describe(plain, tls) + ": " + reason(cause), cause);
        this.requested = tls == null ? List.copyOf(plain)
                : java.util.stream.Stream.concat(plain.stream(), java.util.stream.Stream.of(tls)).toList();
    }

    /** Every address the command asked for, the implicit-TLS one last. */
    List<InetSocketAddress> requested() {
        return requested;
    }

    private static String describe(List<InetSocketAddress> plain, InetSocketAddress tls) {
        String text = plain.stream().map(Addresses::format).collect(Collectors.joining(", "));
        return tls == null ? text : text + " and " + Addresses.format(tls) + " (TLS)";
    }

    /** The operating system's words ("Address already in use"), not the server's wrapping of them. */
    private static String reason(IOException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = Main.oneLine(root.getMessage());
        return message.isEmpty() ? root.getClass().getSimpleName() : message;
    }
}
