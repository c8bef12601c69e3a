package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.TestSupport.Capture;
import io.smtpkit.server.TestSupport.Received;
import io.smtpkit.server.testsupport.ChildProcess;
import io.smtpkit.server.testsupport.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Third-party clients from the system, where installed: Python's smtplib and swaks.
 * Skipped without them, except in CI ({@code CI=true}), where a missing tool fails the test (see {@link Tools}). */
class InteropTest {

    private static final String PYTHON = """
            import smtplib, ssl, sys
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.example', timeout=20) as s:
                s.starttls(context=ctx)
                s.ehlo('py.example')
                msg = 'Subject: smtplib\\r\\n\\r\\nfrom python, d\\u00e9j\\u00e0 vu\\r\\n'.encode('utf-8')
                s.sendmail('py@example.org', ['r\\u00e9ception@example.org'], msg, mail_options=['SMTPUTF8', 'BODY=8BITMIME'])
            """;

    private static int run(List<String> command) throws Exception {
        ChildProcess.Result result = ChildProcess.run(new ProcessBuilder(command).redirectErrorStream(true),
                Duration.ofSeconds(60));
        if (result.exitCode() != 0) {
            System.err.println(result.output());
        }
        return result.exitCode();
    }

    @Test
    void pythonSmtplibWithStartTlsAndSmtpUtf8() throws Exception {
        Path python = Tools.require("python3");
        Capture capture = new Capture();
        SessionConfig config = SessionConfig.builder().smtpUtf8(true).build();
        try (SmtpServer server = server(capture).config(config).tls(TestSupport.serverTls()).build().start()) {
            assertEquals(0, run(List.of(python.toString(), "-c", PYTHON, String.valueOf(server.port()))));
            Received r = capture.take();
            assertEquals("réception@example.org", r.envelope().recipients().get(0).address());
            assertTrue(r.envelope().smtpUtf8());
            assertTrue(r.tls() != null);
            assertTrue(r.text().endsWith("from python, déjà vu\r\n"), r.text());
            assertTrue(r.text().contains("for <r_ception@example.org>"), r.text());
        }
    }

    @Test
    void swaksPipelinedOverTls() throws Exception {
        Path swaks = Tools.require("swaks");
        Capture capture = new Capture();
        try (SmtpServer server = server(capture).tls(TestSupport.serverTls()).build().start()) {
            List<String> command = new ArrayList<>(List.of(swaks.toString(), "--server", "127.0.0.1:" + server.port(),
                    "--from", "swaks@example.org", "--to", "r@example.org", "--helo", "swaks.example",
                    "--tls", "--pipeline", "--silent", "2", "--body", "from swaks"));
            assertEquals(0, run(command));
            Received r = capture.take();
            assertEquals("swaks@example.org", r.envelope().reversePath().address());
            assertTrue(r.tls() != null);
            assertTrue(r.text().contains("from swaks"), r.text());
        }
    }
}
