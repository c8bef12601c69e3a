package com.example.smtpkit.headers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The services file in this build is the one {@code @AutoService}'s processor wrote (there is no
 * hand-written one under src/main/resources), and it is what makes the built smtpkit command list
 * the handler: the compiled classes are jarred into a plugins folder and
 * {@code java -jar smtpkit.jar --plugins DIR --list-handlers} runs in a child process.
 *
 * <p>The command's jar comes from the system property {@code smtpkit.jar} (default: the one the
 * smtpkit checkout around this example builds); {@code scripts/plugin-example.sh} sets it.
 */
class GeneratedServicesFileTest {

    private static final String SERVICES = "META-INF/services/io.smtpkit.server.HandlerProvider";
    private static final Path CLASSES = Path.of("target", "classes");

    @Test
    void theProcessorWroteTheServicesFile() throws IOException {
        assertFalse(Files.exists(Path.of("src", "main", "resources", SERVICES)), "no hand-written services file");
        Path generated = CLASSES.resolve(SERVICES);
        assertTrue(Files.isRegularFile(generated), "the annotation processor did not run: no " + generated);
        assertEquals(List.of(HeadersHandlerProvider.class.getName()),
                Files.readAllLines(generated, StandardCharsets.UTF_8).stream().map(String::strip)
                        .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList());
    }

    @Test
    void theCommandListsTheHandlerFromTheGeneratedFile(@TempDir Path temp) throws Exception {
        Path smtpkit = Path.of(System.getProperty("smtpkit.jar", "../../smtp-cli/target/smtpkit.jar"));
        assertTrue(Files.isRegularFile(smtpkit), "build smtpkit first (mvn -B package in the checkout): no " + smtpkit.toAbsolutePath());
        Path plugins = Files.createDirectories(temp.resolve("plugins"));
        jar(CLASSES, plugins.resolve("smtpkit-headers-plugin.jar"));
        Path out = temp.resolve("out");
        Path err = temp.resolve("err");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", smtpkit.toString(), "--plugins", plugins.toString(), "--list-handlers")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!child.waitFor(60, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new AssertionError("--list-handlers did not finish in 60 s");
        }
        String listed = Files.readString(out, StandardCharsets.UTF_8);
        String errors = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), errors);
        assertTrue(listed.lines().anyMatch(l -> l.startsWith("headers (aliases: HeadersOnly)")), listed);
        assertTrue(listed.contains("-o only="), listed);
        assertEquals("", errors);
    }

    /** The compiled classes as a plugin jar: what {@code mvn package} would make, before it does. */
    private static void jar(Path classes, Path jar) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(classes)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
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
