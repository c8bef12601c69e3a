package io.smtpkit.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** A raw SMTP client over a plain socket: it writes exactly the bytes it is given. */
final class TestClient implements Closeable {

    private Socket socket;
    private InputStream in;
    private OutputStream out;

    TestClient(InetSocketAddress server) throws IOException {
        this(server, null);
    }

    /** Connects from {@code localAddress} (e.g. 127.0.0.2) when not null. */
    TestClient(InetSocketAddress server, InetSocketAddress localAddress) throws IOException {
        socket = new Socket();
        if (localAddress != null) {
            socket.bind(localAddress);
        }
        socket.connect(server, 10_000);
        socket.setSoTimeout(20_000);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    static TestClient connect(SmtpServer server) throws IOException {
        return new TestClient(server.addresses().get(0));
    }

    Socket socket() {
        return socket;
    }

    void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Sends one command line with CRLF and returns the reply. */
    String command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    /** One whole reply, multi-line replies joined with LF, without the final CRLF. */
    String reply() throws IOException {
        StringBuilder reply = new StringBuilder();
        while (true) {
            String line = line();
            if (line == null) {
                throw new IOException("connection closed after: " + reply);
            }
            if (reply.length() > 0) {
                reply.append('\n');
            }
            reply.append(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return reply.toString();
            }
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.UTF_8);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
    }

    /** True if the server closes the connection (EOF or reset) with no more bytes before it. */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    /** EHLO and a whole transaction; returns the reply to the end of data. */
    String sendMail(String from, String to, String body) throws IOException {
        assertTrue(command("MAIL FROM:<" + from + ">").startsWith("250"));
        assertTrue(command("RCPT TO:<" + to + ">").startsWith("250"));
        assertTrue(command("DATA").startsWith("354"));
        send(body + "\r\n.\r\n");
        return reply();
    }

    /** Switches to TLS after a 220 to STARTTLS (or at once, for implicit TLS). */
    SSLSocket startTls(SSLContext context) throws IOException {
        SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(
                socket, socket.getInetAddress().getHostAddress(), socket.getPort(), true);
        tls.setUseClientMode(true);
        tls.startHandshake();
        socket = tls;
        in = new BufferedInputStream(tls.getInputStream());
        out = tls.getOutputStream();
        return tls;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
