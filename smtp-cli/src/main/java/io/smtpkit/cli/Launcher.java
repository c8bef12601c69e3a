package io.smtpkit.cli;

import io.smtpkit.inbox.InboxHandler;
import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.HandlerRegistry;
import io.smtpkit.server.ProxyProtocol;
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

        try {
            return serve(provider, handler, listen);
        } catch (UsageError | RuntimeException e) {
            // A handler with resources of its own (the inbox's web server) must not outlive a failed start.
            closeHandler(handler);
            throw e;
        }
    }

    private Main.Started serve(HandlerProvider provider, SmtpHandler handler, List<InetSocketAddress> listen) throws UsageError {
        SmtpServer.Builder builder = SmtpServer.builder().handler(handler);
        new ServerSettings(options).applyTo(builder);
        ProxyProtocol proxy = proxyProtocol();
        for (InetSocketAddress address : listen) {
            if (proxy == null) {
                builder.listen(address);
            } else {
                builder.listen(address, proxy);
            }
        }
        InetSocketAddress tlsAddress = options.tlsPort == null ? null : Addresses.withPort(listen.get(0), options.tlsPort);
        if (tlsAddress != null) {
            if (proxy == null) {
                builder.listenTls(tlsAddress);
            } else {
                builder.listenTls(tlsAddress, proxy);
            }
        }

        InetSocketAddress metricsAddress = options.metrics == null ? null : Addresses.parse(options.metrics, "--metrics");
        MetricsEndpoint metrics = metricsAddress == null ? null : new MetricsEndpoint();
        if (metrics != null) {
            builder.meterRegistry(metrics.registry);
        }

        SmtpServer server = builder.build();
        try {
            server.start();
        } catch (IOException e) {
            Main.closeQuietly(server);
            Main.closeQuietly(metrics);
            throw new ListenException(listen, tlsAddress, e);
        }
        if (metrics != null) {
            try {
                metrics.start(metricsAddress);
            } catch (IOException e) {
                Main.closeQuietly(server);
                Main.closeQuietly(metrics);
                throw new UsageError("--metrics " + Addresses.format(metricsAddress) + ": cannot listen: "
                        + Main.oneLine(e.getMessage()), e);
            }
        }
        List<InetSocketAddress> bound = server.addresses();
        String web = handler instanceof InboxHandler inbox ? ", web inbox on " + inbox.uri() : "";
        out.println("smtpkit " + Version.get() + " listening on " + describeBound(bound, listen.size())
                + " (handler " + provider.name() + ")" + web + (proxy == null ? "" : ", behind a PROXY protocol balancer"));
        out.flush();
        return Main.Started.running(server, pluginLoader, metrics, handler instanceof AutoCloseable c ? c : null);
    }

    private static void closeHandler(SmtpHandler handler) {
        if (handler instanceof AutoCloseable c) {
            Main.closeQuietly(c);
        }
    }

    /** {@code --proxy-protocol} and {@code --proxy-from}: null when the listeners face the clients. */
    private ProxyProtocol proxyProtocol() throws UsageError {
        if (!options.proxyProtocol) {
            if (options.proxyFrom != null) {
                throw new UsageError("--proxy-from needs --proxy-protocol");
            }
            return null;
        }
        try {
            return options.proxyFrom == null ? ProxyProtocol.fromLoopback() : ProxyProtocol.from(options.proxyFrom);
        } catch (IllegalArgumentException e) {
            throw new UsageError("--proxy-from: " + Main.oneLine(e.getMessage()));
        }
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
