package io.smtpkit.cli;

import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.HandlerRegistry;
import io.smtpkit.server.SmtpHandler;
import io.smtpkit.server.SmtpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Turns parsed options into a started server, checking everything before binding. */
final class Launcher {
    private final CliOptions options;
    private final PrintStream out;
    private URLClassLoader pluginLoader;

    Launcher(CliOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    Main.Started launch() throws UsageError {
        try {
            return launchOrThrow();
        } catch (UsageError | RuntimeException e) {
            Main.closeQuietly(pluginLoader);
            throw e;
        }
    }

    private Main.Started launchOrThrow() throws UsageError {
        if (options.plugins != null) {
            pluginLoader = Handlers.pluginLoader(options.plugins);
        }
        HandlerRegistry registry = Handlers.registry(pluginLoader != null ? pluginLoader : Main.class.getClassLoader());
        if (options.listHandlers) {
            Handlers.print(registry, out);
            Main.closeQuietly(pluginLoader);
            return Main.Started.exited(Main.OK);
        }
        List<InetSocketAddress> listen = listenAddresses();
        HandlerProvider provider = Handlers.provider(registry, options.handler);
        SmtpHandler handler = Handlers.create(provider, options.handlerOptions, options.remoteAddress);

        SmtpServer.Builder builder = SmtpServer.builder().handler(handler);
        new ServerSettings(options).applyTo(builder);
        listen.forEach(builder::listen);
        InetSocketAddress tlsAddress = options.tlsPort == null ? null : Addresses.withPort(listen.get(0), options.tlsPort);
        if (tlsAddress != null) {
            builder.listenTls(tlsAddress);
        }

        SmtpServer server = builder.build();
        try {
            server.start();
        } catch (IOException e) {
            Main.closeQuietly(server);
            Main.closeQuietly(handler instanceof AutoCloseable c ? c : null);
            throw new ListenException(listen, tlsAddress, e);
        }
        List<InetSocketAddress> bound = server.addresses();
        out.println("smtpkit " + Version.get() + " listening on " + describeBound(bound, listen.size())
                + " (handler " + provider.name() + ")");
        out.flush();
        return Main.Started.running(server, pluginLoader, handler instanceof AutoCloseable c ? c : null);
    }

    private List<InetSocketAddress> listenAddresses() throws UsageError {
        List<InetSocketAddress> addresses = new ArrayList<>();
        if (options.localAddress != null) {
            addresses.add(Addresses.parse(options.localAddress, "LOCALHOST:PORT"));
        }
        for (String text : options.listen) {
            addresses.add(Addresses.parse(text, "--listen"));
        }
        if (addresses.isEmpty()) {
            addresses.add(SmtpServer.DEFAULT_ADDRESS);
        }
        if (options.remoteAddress != null) {
            Addresses.parse(options.remoteAddress, "REMOTEHOST:PORT"); // fail early on a typo
        }
        if (options.tlsPort != null && (options.tlsPort < 0 || options.tlsPort > 65535)) {
            throw new UsageError("--tls-port must be a number from 0 to 65535, not " + options.tlsPort);
        }
        // RFC 2033 §5: LMTP MUST NOT be used on the SMTP port; an MTA there would take LMTP's
        // per-recipient replies for garbage, or a client its SMTP replies for LMTP ones.
        if (options.lmtp && (addresses.stream().anyMatch(a -> a.getPort() == 25)
                || options.tlsPort != null && options.tlsPort == 25)) {
            throw new UsageError("--lmtp cannot listen on port 25, the SMTP port (RFC 2033 §5); pick another, e.g. 8024");
        }
        return addresses;
    }

    private static String describeBound(List<InetSocketAddress> bound, int plain) {
        String text = bound.subList(0, Math.min(plain, bound.size())).stream()
                .map(Addresses::format).collect(Collectors.joining(", "));
        if (bound.size() > plain) {
            text += " and with TLS on " + bound.subList(plain, bound.size()).stream()
                    .map(Addresses::format).collect(Collectors.joining(", "));
        }
        return text;
    }
}
