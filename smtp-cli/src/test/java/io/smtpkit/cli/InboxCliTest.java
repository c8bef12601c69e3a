package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.SmtpClient;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code -c inbox} from the command line: the start line names both addresses, closing frees the web port. */
class InboxCliTest {

    private static final Pattern WEB = Pattern.compile(".*\\(handler inbox\\), web inbox on (http://127\\.0\\.0\\.1:(\\d+)/)");

    private final CliHarness cli = new CliHarness();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void close() {
        cli.close();
    }

    @Test
    void servesMailOnTheWebAddressItPrints() throws Exception {
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "inbox", "-o", "http=127.0.0.1:0", "-o", "max=10");
        assertEquals("inbox", serving.startLine().group(3));
        String line = serving.outText().lines().findFirst().orElseThrow();
        Matcher m = WEB.matcher(line);
        assertTrue(m.matches(), line);
        URI web = URI.create(m.group(1));
        assertTrue(SmtpClient.deliver(serving.address(), "a@example.org", "b@example.net", "Subject: hello inbox\r\n\r\nhi\r\n")
                .startsWith("250"));
        HttpResponse<String> list = http.send(HttpRequest.newBuilder(web.resolve("api/v1/messages")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, list.statusCode());
        assertTrue(list.body().contains("\"Subject\":\"hello inbox\""), list.body());

        serving.started().close();
        assertThrows(ConnectException.class, () -> http.send(HttpRequest.newBuilder(web).build(), HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void listedWithItsOptions() {
        String out = cli.run("--list-handlers").out();
        for (String option : List.of("http", "max", "dir", "http-auth-file")) {
            assertTrue(out.contains("-o " + option + "=..."), option + " listed:\n" + out);
        }
    }

    @Test
    void badOptionsAreUsageErrors() {
        String line = cli.run("-l", "127.0.0.1:0", "-c", "inbox", "-o", "max=0").assertUsageError();
        assertTrue(line.contains("max"), line);
        line = cli.run("-l", "127.0.0.1:0", "-c", "inbox", "-o", "http=nohostport").assertUsageError();
        assertTrue(line.contains("http"), line);
        line = cli.run("-l", "127.0.0.1:0", "-c", "inbox", "-o", "http-auth-file=/no/such/file").assertUsageError();
        assertTrue(line.contains("http-auth-file"), line);
    }
}
