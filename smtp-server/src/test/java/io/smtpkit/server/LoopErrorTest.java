package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.CommandExtension;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.protocol.SessionInfo;
import io.smtpkit.server.TestSupport.Capture;
import io.smtpkit.server.testsupport.Eventually;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No Throwable ends the event loop silently (issue #7, finding 1). */
class LoopErrorTest {

    /** Throws on the event loop, as code that runs there (an extension, the server itself) might. */
    private static CommandExtension throwing(String verb, Error error) {
        return new CommandExtension() {
            @Override public String verb() { return verb; }
            @Override public Reply handle(String argument, SessionInfo session) { throw error; }
        };
    }

    @Test
    void anOutOfMemoryErrorOnTheLoopClosesThatConnectionAndTheServerGoesOn() throws Exception {
        SessionConfig config = SessionConfig.builder()
                .extension(throwing("XOOM", new OutOfMemoryError("thrown by the test")))
                .extension(throwing("XERR", new AssertionError("thrown by the test")))
                .build();
        Capture capture = new Capture();
        try (SmtpServer server = server(capture).config(config).build().start()) {
            for (String verb : List.of("XOOM", "XERR", "XOOM")) {
                try (SmtpClient victim = SmtpClient.connect(server)) {
                    victim.reply();
                    victim.send(verb + "\r\n");
                    assertTrue(victim.closedByServer(), verb);
                }
            }
            // Past the next sweep (which takes the memory reserve back) it still greets and delivers.
            Thread.sleep(1200);
            try (SmtpClient c = SmtpClient.connect(server)) {
                assertTrue(c.reply().startsWith("220"));
                c.command("EHLO fine.example");
                assertEquals("250 2.0.0 OK", c.sendMail("a@example.org", "b@example.org", "still here"));
            }
            assertTrue(capture.take().text().contains("still here"));
        }
    }

    @Test
    void aLoopThatCannotRecoverEndsTheProcessWithStatusOne(@TempDir Path dir) throws Exception {
        Path portFile = dir.resolve("port");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx48m", "-cp", System.getProperty("java.class.path"),
                HoardingServer.class.getName(), portFile.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("out").toFile()).start();
        try {
            int port = awaitPort(portFile, child);
            // XHOARD fills the heap and keeps it: the heap runs out on the loop, and stays out.
            try (SmtpClient c = SmtpClient.connect(new InetSocketAddress("127.0.0.1", port)).deadline(Duration.ofSeconds(30))) {
                c.reply();
                c.send("XHOARD\r\n");
                while (c.readLine() != null) {
                    // replies until the connection is closed
                }
            } catch (java.io.IOException reset) {
                // the connection was reset: just as good
            }
            awaitExit(child, dir.resolve("out"));
            String out = Files.readString(dir.resolve("out"));
            assertEquals(1, child.exitValue(), out);
            assertTrue(out.contains("the event loop cannot go on"), out);
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void oneDeadLoopStopsEveryLoopBeforeTheFatalErrorActionRunsOnce(@TempDir Path dir) throws Exception {
        Path portFile = dir.resolve("port");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx48m", "-cp", System.getProperty("java.class.path"),
                HoardingServer.class.getName(), portFile.toString(), "2"));
        Process child = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("out").toFile()).start();
        try {
            int port = awaitPort(portFile, child);
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
            // Two loops: the idle client is on one, the hoarding one on the other.
            try (SmtpClient idle = SmtpClient.connect(address).deadline(Duration.ofSeconds(30))) {
                idle.reply();
                try (SmtpClient c = SmtpClient.connect(address).deadline(Duration.ofSeconds(30))) {
                    c.reply();
                    c.send("XHOARD\r\n");
                    while (c.readLine() != null) {
                        // replies until the connection is closed
                    }
                } catch (java.io.IOException reset) {
                    // the connection was reset: just as good
                }
                awaitExit(child, dir.resolve("out"));
            }
            String out = Files.readString(dir.resolve("out"));
            assertEquals(1, child.exitValue(), out);
            assertTrue(out.contains("the event loop cannot go on"), out);
            assertTrue(out.contains("fatal error action: 0 connection(s) open on smtpkit-loop-"), out);
            assertEquals(1, out.split("fatal error action", -1).length - 1, out);
        } finally {
            child.destroyForcibly();
        }
    }

    private static int awaitPort(Path portFile, Process child) throws Exception {
        String port = Eventually.poll(() -> Files.exists(portFile) ? Files.readString(portFile).trim() : "",
                p -> !p.isEmpty() || !child.isAlive(), Duration.ofSeconds(20));
        assertTrue(!port.isEmpty(), "the child server did not start (alive: " + child.isAlive() + ")");
        return Integer.parseInt(port);
    }

    /** A server whose extension keeps every buffer it makes: run in its own small JVM. */
    /**
     * Fails unless {@code child} ends within a minute; a child that lives on is asked for a
     * thread dump first (SIGQUIT), so the failure shows where its threads stand.
     */
    private static void awaitExit(Process child, Path out) throws Exception {
        if (child.waitFor(60, TimeUnit.SECONDS)) {
            return;
        }
        new ProcessBuilder("kill", "-QUIT", Long.toString(child.pid())).start().waitFor(10, TimeUnit.SECONDS);
        child.waitFor(2, TimeUnit.SECONDS);
        throw new AssertionError("the process lived on with a dead loop; its output and threads:\n" + Files.readString(out));
    }

    public static final class HoardingServer {
        static final List<byte[]> HOARD = new ArrayList<>();

        public static void main(String[] args) throws Exception {
            CommandExtension hoard = new CommandExtension() {
                @Override public String verb() { return "XHOARD"; }
                @Override public Reply handle(String argument, SessionInfo session) {
                    while (true) { // until the heap is full to the last 64 KiB: OutOfMemoryError
                        HOARD.add(new byte[64 << 10]);
                    }
                }
            };
            SmtpServer.Builder builder = SmtpServer.builder().listen(new java.net.InetSocketAddress("127.0.0.1", 0))
                    .handler((session, envelope, message) -> null)
                    .config(SessionConfig.builder().extension(hoard).build());
            java.util.concurrent.atomic.AtomicReference<SmtpServer> running = new java.util.concurrent.atomic.AtomicReference<>();
            if (args.length > 1) {
                // With more loops than one: says how many connections are left when the action runs.
                builder.loops(Integer.parseInt(args[1])).onFatalError(e -> {
                    HOARD.clear();
                    System.out.println("fatal error action: " + running.get().connectionCount() + " connection(s) open on "
                            + Thread.currentThread().getName());
                    System.out.flush();
                    System.exit(1);
                });
            } else {
                builder.loops(1);
            }
            SmtpServer server = builder.build().start();
            running.set(server);
            File tmp = new File(args[0] + ".tmp");
            Files.writeString(tmp.toPath(), Integer.toString(server.port()));
            Files.move(tmp.toPath(), Path.of(args[0]));
            Thread.sleep(120_000); // the loop's fatal error ends the process long before
            System.exit(3);
        }
    }
}
