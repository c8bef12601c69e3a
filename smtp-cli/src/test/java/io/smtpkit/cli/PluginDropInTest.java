package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.auto.service.AutoService;
import io.smtpkit.protocol.Envelope;
import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves drop-in plugins work: compiles examples/plugin-example from source against the classes
 * the command has (as a third party would against the smtp-server jar), with its real
 * {@code @AutoService} processor writing the services file, jars it into a folder,
 * and starts the command with {@code --plugins} that folder. No Maven build of the example and
 * no local repository needed.
 */
class PluginDropInTest {

    private static final Path EXAMPLE = Path.of("..", "examples", "plugin-example");
    private static final String PROVIDER = "com.example.smtpkit.headers.HeadersHandlerProvider";
    private static final String PROCESSOR = "com.google.auto.service.processor.AutoServiceProcessor";
    private static final String SERVICES = "META-INF/services/" + HandlerProvider.class.getName();

    private final CliHarness cli = new CliHarness();

    @TempDir
    Path temp;

    private Path plugins;

    @BeforeEach
    void buildThePluginJar() throws Exception {
        plugins = Files.createDirectories(temp.resolve("plugins"));
        Path classes = Files.createDirectories(temp.resolve("classes"));
        compileExample(classes);
        jar(classes, plugins.resolve("smtpkit-headers-plugin.jar"));
    }

    @AfterEach
    void closeServers() {
        cli.close();
    }

    @Test
    void thePluginIsListedOnlyWithPlugins() {
        CliHarness.Result without = cli.run("--list-handlers");
        assertFalse(without.out().contains("headers"), "not on the class path by itself");

        CliHarness.Result with = cli.run("--plugins", plugins.toString(), "--list-handlers");
        assertEquals(0, with.exitCode(), with.err());
        assertTrue(with.out().lines().anyMatch(l -> l.startsWith("headers (aliases: HeadersOnly)")), with.out());
        assertTrue(with.out().contains("prints only the header section"), with.out());
        assertTrue(with.out().contains("-o only=..."), with.out());
        assertTrue(with.out().lines().anyMatch(l -> l.startsWith("debug")), "the shipped handlers are still there");
    }

    @Test
    void thePluginHandlesAMessage() throws Exception {
        // In a JVM of its own: the plugin prints to System.out, which this JVM's other tests share.
        try (ServerProcess server = ServerProcess.start(temp, List.of(), "--plugins", plugins.toString(), "-c", "headers",
                "-o", "only=Subject,From", "-l", "127.0.0.1:0")) {
            java.util.regex.Matcher start = CliHarness.START_LINE.matcher(server.stdoutText().lines().findFirst().orElse(""));
            assertTrue(start.matches() && start.group(3).equals("headers"), server.stdoutText());
            String reply = SmtpClient.deliver(server.address, "alice@example.org", "bob@example.org",
                    "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: plugged in\r\n\r\nbody text\r\n");
            assertTrue(reply.startsWith("250"), reply);
            String printed = server.awaitStdout(t -> t.contains("------------ END HEADERS ------------"), Duration.ofSeconds(10));
            int begin = printed.indexOf("---------- HEADERS FOLLOW ----------");
            int end = printed.indexOf("------------ END HEADERS ------------");
            assertTrue(begin >= 0 && end > begin, printed);
            String section = printed.substring(begin, end);
            assertTrue(section.contains("Subject: plugged in"), section);
            assertTrue(section.contains("From: alice@example.org"), section);
            assertTrue(section.contains("X-RcptTo: bob@example.org"), section);
            assertTrue(section.lines().noneMatch(l -> l.startsWith("To:")), "only= filters headers: " + section);
            assertFalse(section.contains("body text"), "headers only: " + section);
        }
    }

    @Test
    void aBadPluginOptionIsOneLineAndStatus2() {
        String line = cli.run("--plugins", plugins.toString(), "-c", "headers", "-o", "colour=red",
                "-l", "127.0.0.1:0").assertUsageError();
        assertTrue(line.contains("colour"), line);
    }

    @Test
    void aBrokenJarIsOneLineAndStatus2() throws IOException {
        Files.writeString(plugins.resolve("broken.jar"), "not a zip");
        String line = cli.run("--plugins", plugins.toString(), "--list-handlers").assertUsageError();
        assertTrue(line.contains("broken.jar"), line);
    }

    @Test
    void aProviderThatCannotBeLoadedIsOneLineAndStatus2() throws IOException {
        Path classes = Files.createDirectories(temp.resolve("missing/META-INF/services"));
        Files.writeString(classes.resolve(HandlerProvider.class.getName()), "com.example.NoSuchProvider\n");
        jar(temp.resolve("missing"), plugins.resolve("missing.jar"));
        String line = cli.run("--plugins", plugins.toString(), "--list-handlers").assertUsageError();
        assertTrue(line.contains("com.example.NoSuchProvider"), line);
    }

    @Test
    void anEmptyPluginsFolderIsFine() throws IOException {
        Path empty = Files.createDirectories(temp.resolve("empty"));
        CliHarness.Result result = cli.run("--plugins", empty.toString(), "--list-handlers");
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.out().contains("debug"));
    }

    /**
     * javac over the example's sources, classpath = where the API classes the plugin uses come
     * from, with the {@code @AutoService} processor the example's pom runs: the services file in
     * the jar is the one the processor writes, as in a real build.
     */
    private static void compileExample(Path classes) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "tests need a JDK, not a JRE");
        List<String> sources;
        try (Stream<Path> files = Files.walk(EXAMPLE.resolve("src/main/java"))) {
            sources = files.filter(p -> p.toString().endsWith(".java")).map(Path::toString).collect(Collectors.toList());
        }
        assertFalse(sources.isEmpty(), "example sources under " + EXAMPLE.toAbsolutePath());
        assertFalse(Files.exists(EXAMPLE.resolve("src/main/resources/" + SERVICES)), "no hand-written services file");
        String classpath = Stream.of(HandlerProvider.class, Envelope.class, AutoService.class)
                .map(PluginDropInTest::locationOf)
                .distinct()
                .collect(Collectors.joining(java.io.File.pathSeparator));
        // The processor and what it runs on (auto-common, Guava), from this test's class path.
        String processorPath = Stream.of(PROCESSOR, "com.google.auto.common.MoreElements", "com.google.common.collect.ImmutableSet")
                .map(PluginDropInTest::classNamed)
                .map(PluginDropInTest::locationOf)
                .distinct()
                .collect(Collectors.joining(java.io.File.pathSeparator));
        List<String> args = new ArrayList<>(List.of("--release", "17", "-Xlint:none",
                "-processorpath", processorPath, "-processor", PROCESSOR,
                "-classpath", classpath, "-d", classes.toString()));
        args.addAll(sources);
        StringWriter errors = new StringWriter();
        int status = javac.run(null, null, new java.io.PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                errors.write(b);
            }
        }, true, StandardCharsets.UTF_8), args.toArray(String[]::new));
        assertEquals(0, status, () -> "the example compiles:\n" + errors);
        Path services = classes.resolve(SERVICES);
        assertTrue(Files.isRegularFile(services), "the processor wrote " + SERVICES + "; javac said:\n" + errors);
        assertEquals(List.of(PROVIDER), Files.readAllLines(services, StandardCharsets.UTF_8).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toList()));
    }

    private static Class<?> classNamed(String name) {
        try {
            return Class.forName(name, false, PluginDropInTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError(name + " is not on the test class path (smtp-cli's pom: auto-service, test scope)", e);
        }
    }

    private static String locationOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void jar(Path classes, Path jar) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(classes)) {
            files = walk.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
        }
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (Path file : files) {
                out.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
                Files.copy(file, out);
                out.closeEntry();
            }
        }
    }
}
