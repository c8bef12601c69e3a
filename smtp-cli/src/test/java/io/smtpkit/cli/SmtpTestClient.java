package io.smtpkit.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal blocking SMTP client over a real socket, for tests: sends lines, reads whole replies. */
final class SmtpTestClient implements AutoCloseable {

    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    SmtpTestClient(InetSocketAddress address) throws IOException {
        socket = new Socket();
        socket.connect(address, 5_000);
        socket.setSoTimeout(10_000);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        out = socket.getOutputStream();
    }

    /** Reads one reply, multi-line ones whole, and returns it with lines joined by "\n". */
    String reply() throws IOException {
        StringBuilder reply = new StringBuilder();
        while (true) {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("connection closed; got so far: " + reply);
            }
            reply.append(line).append('\n');
            if (line.length() < 4 || line.charAt(3) != '-') {
                return reply.toString().strip();
            }
        }
    }

    /** Sends one command line and returns the reply. */
    String command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    void send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Reads the greeting, sends one message and QUIT; returns the reply to the end of DATA. */
    static String sendMail(InetSocketAddress address, String from, String to, String content) throws IOException {
        try (SmtpTestClient client = new SmtpTestClient(address)) {
            expect(client.reply(), "220");
            expect(client.command("EHLO client.example"), "250");
            expect(client.command("MAIL FROM:<" + from + ">"), "250");
            expect(client.command("RCPT TO:<" + to + ">"), "250");
            expect(client.command("DATA"), "354");
            String dotted = content.replace("\r\n.", "\r\n..");
            String result = client.command(dotted + (dotted.endsWith("\r\n") ? "" : "\r\n") + ".");
            client.command("QUIT");
            return result;
        }
    }

    static void expect(String reply, String code) throws IOException {
        if (!reply.startsWith(code)) {
            throw new IOException("expected " + code + " but got: " + reply);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
