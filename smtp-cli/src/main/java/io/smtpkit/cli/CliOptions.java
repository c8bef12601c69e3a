package io.smtpkit.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The command line of {@code smtpkit}. The option names are a contract (issue #4): scripts and
 * benchmarks start the server with them, so rename nothing.
 */
@Command(
        name = "smtpkit",
        subcommands = QueueCommand.class,
        sortOptions = false,
        usageHelpAutoWidth = false,
        headerHeading = "",
        header = "An SMTP server, like python -m smtpd: receives mail and hands it to a handler.",
        synopsisHeading = "%nUsage: ",
        customSynopsis = "java -jar smtpkit.jar [OPTIONS] [LOCALHOST:PORT [REMOTEHOST:PORT]]",
        parameterListHeading = "%nArguments (as in python -m smtpd):%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%n",
        footer = {
            "Examples:",
            "  java -jar smtpkit.jar                                 debug server on 127.0.0.1:8025",
            "  java -jar smtpkit.jar -c maildir -o dir=./mail        deliver to a Maildir",
            "  java -jar smtpkit.jar -n -c DebuggingServer localhost:8025   an smtpd command line",
            "  java -jar smtpkit.jar --lmtp -c maildir -o dir=./mail 127.0.0.1:8024   an LMTP delivery agent",
            "",
            "Exit status: 0 after a clean shutdown, 2 for bad input (options, addresses, files,",
            "handlers, a port in use), 1 for an unexpected failure or a server that had to stop",
            "(its heap ran out for good). Run with -XX:+ExitOnOutOfMemoryError in production."
        })
final class CliOptions {

    @Parameters(index = "0", arity = "0..1", paramLabel = "LOCALHOST:PORT",
            description = "Where to listen, like -l (may be combined with -l).")
    String localAddress;

    @Parameters(index = "1", arity = "0..1", paramLabel = "REMOTEHOST:PORT",
            description = "The upstream server, for handlers with an 'upstream' option (relay).")
    String remoteAddress;

    @Option(names = {"-l", "--listen"}, paramLabel = "HOST:PORT",
            description = "Listen on this address; repeatable. IPv6 as [::1]:8025. Default 127.0.0.1:8025.")
    List<String> listen = new ArrayList<>();

    @Option(names = {"-c", "--handler"}, paramLabel = "NAME", defaultValue = "debug",
            description = "What to do with mail: debug, sink, maildir, a plugin's handler... "
                    + "smtpd's class names work too (DebuggingServer, PureProxy, MailmanProxy). Default: ${DEFAULT-VALUE}.")
    String handler;

    @Option(names = {"-o", "--option"}, paramLabel = "KEY=VALUE",
            description = "A handler option, repeatable, e.g. -o dir=./mail. See --list-handlers.")
    List<String> handlerOptions = new ArrayList<>(); // parsed by Main: a key given twice is an error

    @Option(names = {"-s", "--size"}, paramLabel = "BYTES",
            description = "The largest message accepted (SIZE, RFC 1870); 0 for no limit. Default 33554432 (32 MiB).")
    Long size;

    @Option(names = "--smtputf8", description = "Offer SMTPUTF8 (RFC 6531): international addresses.")
    boolean smtpUtf8;

    @Option(names = "--lmtp",
            description = "Speak LMTP (RFC 2033) instead of SMTP: LHLO, and one reply per recipient after the data. "
                    + "Never on port 25 (RFC 2033 §5).")
    boolean lmtp;

    @Option(names = "--hostname", paramLabel = "NAME",
            description = "The name in the greeting, EHLO reply and Received header. Default: localhost.")
    String hostname;

    @Option(names = "--loops", paramLabel = "N",
            description = "Event loops (threads, each with its own selector) serving the connections; "
                    + "at least 1. Default: the number of available processors.")
    Integer loops;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "The most simultaneous connections; 0 for no limit. Default 1000.")
    Integer maxConnections;

    @Option(names = "--max-connections-per-client", paramLabel = "N",
            description = "The most simultaneous connections from one client (IPv4 address or IPv6 /64); 0 for no limit. Default 50.")
    Integer maxConnectionsPerClient;

    @Option(names = "--max-connection-rate", paramLabel = "N",
            description = "The most new connections one client may open per minute; 0 for no limit. Default 600.")
    Integer maxConnectionRate;

    @Option(names = "--envelope-memory", paramLabel = "BYTES",
            description = "Heap all envelopes (senders, recipients) may take together; past it MAIL/RCPT get 452 4.3.1. "
                    + "0 for no limit. Default: an eighth of the heap.")
    Long envelopeMemory;

    @Option(names = "--buffer-memory", paramLabel = "BYTES",
            description = "Heap all held input and unread replies may take together; past it a connection gets 421 4.3.2. "
                    + "0 for no limit. Default: an eighth of the heap.")
    Long bufferMemory;

    @Option(names = "--max-recipients", paramLabel = "N",
            description = "The most recipients per message; 0 for no limit. Default 1000.")
    Integer maxRecipients;

    @Option(names = "--max-recipient-overshoot", paramLabel = "N",
            description = "RCPTs past --max-recipients (each 452) before 421 and close; 0 for no limit. Default 1000.")
    Integer maxRecipientOvershoot;

    @Option(names = "--max-errors", paramLabel = "N",
            description = "Client errors (and the handler's 5xx to HELO, MAIL, RCPT) before 421 and close; "
                    + "0 for no limit. Default 10.")
    Integer maxErrors;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Close a connection silent this long (421 4.4.2). Default 300.")
    Integer timeout;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "PEM certificate chain, leaf first; with --tls-key enables STARTTLS.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key (unencrypted PKCS#8).")
    Path tlsKey;

    @Option(names = "--tls-port", paramLabel = "PORT",
            description = "Also listen with implicit TLS (RFC 8314) on this port, on the host of the first listen address.")
    Integer tlsPort;

    @Option(names = "--auth-file", paramLabel = "FILE",
            description = "Offer AUTH PLAIN/LOGIN with the users in FILE (after STARTTLS unless --allow-insecure-auth).")
    Path authFile;

    @Option(names = "--require-auth", description = "Refuse MAIL until the client has authenticated.")
    boolean requireAuth;

    @Option(names = "--allow-insecure-auth", description = "Offer AUTH without TLS too (passwords in clear: tests only).")
    boolean allowInsecureAuth;

    // Limits on AUTH, with --auth-file. A client address is an IPv4 address or an IPv6 /64.

    @Option(names = "--auth-failure-delay", paramLabel = "SECONDS",
            description = "Answer a failed AUTH only after this long; the connection waits. 0 for none. Default 2.")
    Integer authFailureDelay;

    @Option(names = "--max-auth-per-client", paramLabel = "N",
            description = "The most AUTH in progress (checking or in the failure delay) from one client address "
                    + "(IPv6: one /64); more get 454. 0 for no limit. Default 3.")
    Integer maxAuthPerClient;

    @Option(names = "--max-auth-failures", paramLabel = "N",
            description = "The most failed AUTH from one client address in a minute; past them its AUTH gets 421 "
                    + "for the rest of the minute. 0 for no limit. Default 30.")
    Integer maxAuthFailures;

    @Option(names = "--plugins", paramLabel = "DIR",
            description = "Load handlers from every jar in DIR (ServiceLoader, HandlerProvider).")
    Path plugins;

    @Option(names = "--list-handlers", description = "List the handlers with their aliases and options, and exit.")
    boolean listHandlers;

    @Option(names = {"-v", "--verbose"}, description = "Log more: -v debug, -vv trace.")
    boolean[] verbose = new boolean[0];

    @Option(names = {"-q", "--quiet"}, description = "Log only warnings and errors.")
    boolean quiet;

    @Option(names = "-n", description = "Accepted and ignored, so smtpd command lines keep working (smtpd's no-setuid).")
    boolean noSetuid;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = {"-V", "--version"}, versionHelp = true, description = "Print the version and exit.")
    boolean version;
}
