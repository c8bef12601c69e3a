package io.smtpkit.inbox;

import io.smtpkit.inbox.internal.MessageStore;
import io.smtpkit.inbox.internal.WebServer;
import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.Reply;
import io.smtpkit.server.Authenticator;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every message it receives and shows them in a web page, as Mailpit and MailHog do: the
 * list updating live, each message's HTML (sandboxed), text, headers, raw source and attachments,
 * search, delete, and a REST API compatible with the common subset of Mailpit's {@code /api/v1}.
 *
 * <pre>{@code
 * try (InboxHandler inbox = InboxHandler.builder().http(new InetSocketAddress("127.0.0.1", 0)).start();
 *      SmtpServer server = SmtpServer.builder().handler(inbox).listen(...).build()) {
 *     server.start();
 *     System.out.println("mail at " + inbox.uri());
 * }
 * }</pre>
 *
 * <p>Every message is answered {@code 250} once it is held (and, with a {@linkplain
 * Builder#maildir(Path) Maildir}, on disk). Beyond {@linkplain Builder#max(int) max} messages the
 * oldest is dropped. Close the handler to stop its web server; the SMTP server does not.
 */
public final class InboxHandler implements SmtpHandler, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InboxHandler.class);

    /** Where the web page listens unless told otherwise: {@code 127.0.0.1:8026}, Mailpit's port less one thousand. */
    public static final InetSocketAddress DEFAULT_HTTP = new InetSocketAddress("127.0.0.1", 8026);
    /** How many messages are kept unless told otherwise. */
    public static final int DEFAULT_MAX = 1000;

    private final MessageStore store;
    private final WebServer web;

    private InboxHandler(MessageStore store, WebServer web) {
        this.store = store;
        this.web = web;
    }

    /** A builder with the defaults: web on {@link #DEFAULT_HTTP}, {@link #DEFAULT_MAX} messages, memory only. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws IOException {
        store.add(envelope.reversePath().address(), envelope.recipientAddresses(), message.bytes());
        return null;
    }

    /**
     * Adds a message as if it had arrived over SMTP (the testkit uses this to show what a test
     * received) and returns its id, the {@code {ID}} of {@code /view/{ID}}.
     *
     * @param sender the envelope sender, {@code ""} for the null path
     * @param recipients the envelope recipients
     * @param content the message as stored: header, blank line, body
     * @throws UncheckedIOException if the Maildir cannot be written
     */
    public String add(String sender, List<String> recipients, byte[] content) {
        try {
            return store.add(Objects.requireNonNull(sender), recipients, content.clone()).id;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The address the web page is bound to, with the real port. */
    public InetSocketAddress httpAddress() {
        return web.address();
    }

    /** The page's address, e.g. {@code http://127.0.0.1:8026/}. */
    public URI uri() {
        InetSocketAddress a = web.address();
        String host = a.getAddress() != null && a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getHostString();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + a.getPort() + "/");
    }

    /** The page opened at one message: {@code /view/{ID}}. */
    public URI viewUri(String id) {
        return uri().resolve("view/" + id);
    }

    /** How many messages are held now. */
    public int size() {
        return store.size();
    }

    /** Stops the web server; the messages held in memory are gone, those in a Maildir stay. */
    @Override
    public void close() {
        web.close();
    }

    /** Settings for an {@link InboxHandler}; {@link #start()} binds the web server. */
    public static final class Builder {
        private InetSocketAddress http = DEFAULT_HTTP;
        private int max = DEFAULT_MAX;
        private Path maildir;
        private Authenticator authenticator;

        private Builder() {}

        /** Where the web page and API listen; port 0 picks a free one. Not loopback: logged as a warning. */
        public Builder http(InetSocketAddress address) {
            this.http = Objects.requireNonNull(address);
            return this;
        }

        /** How many messages to keep; beyond, the oldest is dropped. At least 1. */
        public Builder max(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("max must be at least 1, not " + max);
            }
            this.max = max;
            return this;
        }

        /**
         * Keeps the messages in this Maildir folder too (created if missing), so they survive a
         * restart: the messages already there are shown at start.
         */
        public Builder maildir(Path dir) {
            this.maildir = dir;
            return this;
        }

        /** Requires HTTP basic auth for the page and the API, checked by {@code authenticator}. */
        public Builder authenticator(Authenticator authenticator) {
            this.authenticator = authenticator;
            return this;
        }

        /**
         * Opens the store and binds the web server.
         *
         * @throws IOException if the address cannot be bound
         * @throws UncheckedIOException if the Maildir cannot be created or read
         */
        public InboxHandler start() throws IOException {
            MessageStore store = new MessageStore(max, maildir);
            if (http.getAddress() == null || !http.getAddress().isLoopbackAddress()) {
                log.warn("inbox: the web page on {} is reachable from other machines{}; it shows every message received",
                        http, authenticator == null ? " without a password (see http-auth-file=)" : "");
            }
            return new InboxHandler(store, new WebServer(http, store, authenticator));
        }
    }
}
