package io.smtpkit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.ChildProcess;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.File;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * micrometer-core is an optional dependency: a server given no registry must run without it. A
 * child JVM whose class path lacks every Micrometer jar starts a server (TLS and a tap included,
 * a handler that is {@link Metered}) and takes a message; any touch of Micrometer would be a
 * NoClassDefFoundError there.
 */
class NoMicrometerTest {

    @Test
    void aServerWithoutARegistryRunsWithoutMicrometerOnTheClassPath() throws Exception {
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.contains("micrometer"))
                .collect(Collectors.joining(File.pathSeparator));
        assertTrue(System.getProperty("java.class.path").contains("micrometer-core"), "the test's own class path has it");
        ProcessBuilder child = new ProcessBuilder(ChildProcess.java(List.of(), Child.class.getName(), List.of()));
        child.environment().put("CLASSPATH", classPath);
        List<String> command = child.command();
        int cp = command.indexOf("-cp");
        command.set(cp + 1, classPath);
        ChildProcess.Result result = ChildProcess.run(child, Duration.ofSeconds(60));
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.out().contains("no micrometer; delivered: 250"), result.output());
    }

    /** Runs in the child JVM. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            try {
                Class.forName("io.micrometer.core.instrument.MeterRegistry");
                System.out.println("micrometer is on the class path: the test proves nothing");
                System.exit(3);
            } catch (ClassNotFoundException expected) {
                // as it should be
            }
            TestSupport.Capture handler = new MeteredHandler();
            try (SmtpServer server = TestSupport.server(handler).tls(TestSupport.serverTls())
                    .tap(session -> new ConnectionTap.Listener() {}).build().start()) {
                InetSocketAddress address = server.addresses().get(0);
                String reply = SmtpClient.deliver(address, "a@example.org", "b@example.org", "Subject: m\r\n\r\nhi\r\n");
                handler.take();
                System.out.println("no micrometer; delivered: " + reply.substring(0, 3));
            }
        }
    }

    /** Implements Metered, whose method names a Micrometer type: loading it must not load Micrometer. */
    static final class MeteredHandler extends TestSupport.Capture implements Metered {
        @Override
        public void bindMeters(io.micrometer.core.instrument.MeterRegistry registry) {
            throw new AssertionError("never called without a registry");
        }
    }
}
