package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.server.HandlerProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * A plugin jar made in a test: Java sources compiled against the smtp-server API the command
 * has, with a hand-written {@code META-INF/services} entry for the given providers.
 */
final class PluginJar {

    private PluginJar() {}

    /** Compiles {@code sources} (class name to source) into {@code jar}, registering {@code providers}. */
    static Path build(Path work, Path jar, Map<String, String> sources, List<String> providers) throws IOException {
        Path src = Files.createDirectories(work.resolve("src"));
        Path classes = Files.createDirectories(work.resolve("classes"));
        List<String> files = new ArrayList<>();
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Path file = src.resolve(source.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.getValue(), StandardCharsets.UTF_8);
            files.add(file.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "tests need a JDK, not a JRE");
        String classpath = Stream.of(HandlerProvider.class, Envelope.class).map(PluginJar::locationOf).distinct()
                .collect(Collectors.joining(java.io.File.pathSeparator));
        List<String> args = new ArrayList<>(List.of("--release", "17", "-proc:none", "-Xlint:none",
                "-classpath", classpath, "-d", classes.toString()));
        args.addAll(files);
        StringWriter errors = new StringWriter();
        int status = javac.run(null, null, printTo(errors), args.toArray(String[]::new));
        assertEquals(0, status, () -> "the plugin compiles:\n" + errors);
        Path services = classes.resolve("META-INF/services/" + HandlerProvider.class.getName());
        Files.createDirectories(services.getParent());
        Files.writeString(services, String.join("\n", providers) + "\n", StandardCharsets.UTF_8);
        jar(classes, jar);
        return jar;
    }

    /** Jars every file under {@code classes}, in a stable order. */
    static void jar(Path classes, Path jar) throws IOException {
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

    static String locationOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static PrintStream printTo(Writer writer) {
        return new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                try {
                    writer.write(b);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }, true, StandardCharsets.UTF_8);
    }
}
