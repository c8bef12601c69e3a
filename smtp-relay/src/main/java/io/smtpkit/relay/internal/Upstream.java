package io.smtpkit.relay.internal;

import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.client.Capabilities;
import io.smtpkit.protocol.client.ClientConfig;
import io.smtpkit.protocol.client.ClientEvent;
import io.smtpkit.protocol.client.ClientFailure;
import io.smtpkit.protocol.client.ClientSession;
import io.smtpkit.protocol.client.ClientState;
import io.smtpkit.protocol.client.Transaction;
import io.smtpkit.protocol.client.TransactionResult;
import io.smtpkit.protocol.client.Wait;
import io.smtpkit.relay.NextHop;
import io.smtpkit.relay.RelayConfig;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to a next hop: a {@link ClientSession} over a blocking socket, driven on the
 * calling thread (a hook worker, never the server's event loop). Every wait has its timeout:
 * reads by the socket's read timeout set from {@link ClientSession#waiting()}, writes by a
 * watchdog that closes the socket when one takes longer than RFC 5321 §4.5.3.2.5's data-block
 * time, the TCP connect and the TLS handshake by their own. Whatever goes wrong comes back as a
 * reply for the relay's client, never as an exception: {@code 451 4.4.1} when the next hop cannot
 * be reached, the {@link ClientFailure}'s reply otherwise.
 *
 * <p>The relay's live path uses the stepwise calls ({@link #mail}, {@link #rcpt}, {@link #data},
 * {@link #reset}); a queue would use {@link #send} with a whole transaction.
 */
public final class Upstream implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(Upstream.class);
    private static final int CHUNK = 64 * 1024;
    // One daemon thread for every relay's write watchdogs: it only closes sockets.
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "smtpkit-relay-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final NextHop hop;
    private final RelayConfig config;
    private final ClientSession session;
    private final byte[] readBuffer = new byte[16 * 1024];
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private ClientFailure failure;

    private Upstream(NextHop hop, RelayConfig config, ClientConfig client) {
        this.hop = hop;
        this.config = config;
        this.session = new ClientSession(client);
    }

    /**
     * Connects to {@code hop}, says hello, does STARTTLS and AUTH as configured. The result is
     * {@linkplain #isReady() ready}, or failed with {@link #failure()} saying why.
     */
    public static Upstream connect(NextHop hop, RelayConfig config) {
        return connect(hop, config, config.clientConfig());
    }

    /**
     * Connects as {@link #connect(NextHop, RelayConfig)} does, speaking as {@code client} says
     * (LMTP to a final delivery agent, RFC 2033); timeouts and TLS trust come from {@code config}.
     */
    public static Upstream connect(NextHop hop, RelayConfig config, ClientConfig client) {
        Upstream u = new Upstream(hop, config, client);
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(hop.host(), hop.port()), millis(config.connectTimeout()));
            u.use(s);
        } catch (IOException | RuntimeException e) {
            closeQuietly(s);
            u.failure = new ClientFailure(ClientFailure.Kind.CONNECTION_LOST,
                    Reply.of(451, "4.4.1", "The next hop cannot be reached; try again later"), null,
                    "cannot connect to " + hop + ": " + e);
            log.warn("relay: {}", u.failure.detail());
            return u;
        }
        u.awaitReady();
        return u;
    }

    private void use(Socket s) throws IOException {
        socket = s;
        in = s.getInputStream();
        out = new BufferedOutputStream(s.getOutputStream(), CHUNK + 1024);
    }

    /** The next hop this connection goes to. */
    public NextHop hop() {
        return hop;
    }

    /** True when the connection takes a transaction; drives the session there first (an RSET's reply). */
    public boolean isReady() {
        if (failure != null) {
            return false;
        }
        awaitReady(); // also takes the Ready that follows a refused MAIL or a finished transaction
        return failure == null && session.state() == ClientState.READY;
    }

    /** Why the connection cannot be used, or {@code null}. */
    public ClientFailure failure() {
        return failure;
    }

    /** What the next hop offers. */
    public Capabilities capabilities() {
        return session.capabilities();
    }

    /** True once TLS is on. */
    public boolean isSecure() {
        return session.isSecure();
    }

    /** Sends MAIL alone; the next hop's reply, or the reply for a failure. */
    public Reply mail(Transaction envelope) {
        if (!isReady()) {
            return failureReply();
        }
        session.mail(envelope);
        return replied();
    }

    /** Sends one RCPT of the transaction {@link #mail} opened; the next hop's reply, or the reply for a failure. */
    public Reply rcpt(Transaction.Recipient recipient) {
        if (failure != null) {
            return failureReply();
        }
        session.rcpt(recipient);
        return replied();
    }

    /** Abandons the transaction {@link #mail} opened (RSET); the connection stays for the next one. */
    public void reset() {
        if (failure == null && session.inStepwiseTransaction()) {
            session.reset();
            awaitReady();
        }
    }

    /**
     * Sends the content of the transaction {@link #mail} opened: {@code content}'s octets exactly,
     * dot-stuffed for DATA or in BDAT chunks for BINARYMIME.
     */
    public TransactionResult data(InputStream content) throws IOException {
        session.data();
        return content(content);
    }

    /** Sends a whole transaction (MAIL, every RCPT, the content), pipelined when offered. */
    public TransactionResult send(Transaction transaction, InputStream content) throws IOException {
        if (!isReady()) {
            return new TransactionResult(List.of(), null, failureReply(), failure);
        }
        session.send(transaction);
        return content(content);
    }

    private TransactionResult content(InputStream content) throws IOException {
        byte[] chunk = new byte[CHUNK];
        ClientEvent e = drive();
        while (e instanceof ClientEvent.SendContent) {
            int n;
            while ((n = content.readNBytes(chunk, 0, chunk.length)) > 0) {
                session.content(ByteBuffer.wrap(chunk, 0, n));
                flush(); // the output holds views of chunk: written before chunk is filled again
                if (!session.acceptsContent()) {
                    break; // a BDAT chunk waits for its reply, or the session ended
                }
            }
            if (session.acceptsContent()) {
                session.endContent();
            }
            e = drive();
        }
        if (e instanceof ClientEvent.Delivered d) {
            return d.result();
        }
        return new TransactionResult(List.of(), null, failureReply(), failure);
    }

    /** Says QUIT when the connection is still usable, and closes it. */
    @Override
    public void close() {
        try {
            reset(); // a transaction the client left open is abandoned politely
            if (failure == null && socket != null && session.state() == ClientState.READY) {
                session.quit();
                drive();
            }
        } finally {
            closeSocket();
        }
    }

    private Reply failureReply() {
        return failure != null ? failure.reply() : Reply.LOCAL_ERROR;
    }

    private Reply replied() {
        ClientEvent e = drive();
        if (e instanceof ClientEvent.Replied r) {
            return r.reply();
        }
        if (e instanceof ClientEvent.Delivered d) {
            drive(); // the Closed that follows
            return d.result().reply();
        }
        return failureReply();
    }

    private void awaitReady() {
        ClientEvent e;
        do {
            e = drive();
        } while (!(e instanceof ClientEvent.Ready) && !(e instanceof ClientEvent.Closed) && !(e instanceof ClientEvent.Paused));
    }

    /**
     * Writes and reads until the session has an event for the caller: Ready, Replied,
     * SendContent, Delivered, Closed, or Paused. STARTTLS is carried out here.
     */
    private ClientEvent drive() {
        for (;;) {
            flush();
            ClientEvent e = session.next();
            if (e instanceof ClientEvent.NeedData) {
                read();
            } else if (e instanceof ClientEvent.StartTls) {
                flush();
                handshake();
            } else if (e instanceof ClientEvent.Closed c) {
                flush();
                closeSocket();
                if (c.failure() != null && failure == null) {
                    failure = c.failure();
                    log.warn("relay: next hop {}: {}", hop, failure.detail());
                } else if (failure == null) {
                    failure = new ClientFailure(ClientFailure.Kind.CONNECTION_LOST,
                            Reply.of(451, "4.4.2", "The connection to the next hop was closed"), null, "closed after QUIT");
                }
                return e;
            } else {
                return e;
            }
        }
    }

    private void read() {
        Wait wait = session.waiting();
        try {
            socket.setSoTimeout(wait == null ? 0 : millis(config.timeout(wait)));
            int n = in.read(readBuffer);
            if (n < 0) {
                session.connectionLost();
            } else {
                session.receive(ByteBuffer.wrap(readBuffer, 0, n));
            }
        } catch (SocketTimeoutException e) {
            session.timeout();
        } catch (IOException e) {
            session.connectionLost();
        }
    }

    private void flush() {
        List<ByteBuffer> output = session.takeOutput();
        if (output.isEmpty() || socket == null || socket.isClosed()) {
            return;
        }
        Socket watched = socket;
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> closeQuietly(watched),
                millis(config.timeout(Wait.DATA_BLOCK)), TimeUnit.MILLISECONDS);
        try {
            for (ByteBuffer b : output) {
                if (b.hasArray()) {
                    out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
                } else {
                    byte[] copy = new byte[b.remaining()];
                    b.duplicate().get(copy);
                    out.write(copy);
                }
            }
            out.flush();
        } catch (IOException e) {
            // The replies already sent still count: the session reads them before it takes the loss.
            session.connectionLost();
        } finally {
            watchdog.cancel(false);
        }
    }

    private void handshake() {
        try {
            SSLSocket tls = (SSLSocket) config.tlsContext().getSocketFactory()
                    .createSocket(socket, hop.host(), hop.port(), true);
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"}); // RFC 8996: nothing older
            if (config.verifiesCertificates()) {
                parameters.setEndpointIdentificationAlgorithm("HTTPS"); // RFC 6125 host name check
            }
            tls.setSSLParameters(parameters);
            tls.setUseClientMode(true);
            tls.setSoTimeout(millis(config.timeout(Wait.COMMAND)));
            tls.startHandshake();
            use(tls);
            session.tlsStarted(true);
        } catch (IOException | RuntimeException e) {
            log.warn("relay: TLS with {} failed: {}", hop, String.valueOf(e.getMessage()));
            session.tlsStarted(false);
        }
    }

    private void closeSocket() {
        if (socket != null) {
            closeQuietly(socket);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    private static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }

    @Override
    public String toString() {
        return "Upstream[" + hop + ", " + session + "]";
    }
}
