package io.smtpkit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A finding of {@link FileAuthenticatorFuzzTest} (issue 14), kept as a plain test: a readable
 * password file with a line that is not UTF-8 is a malformed line, refused like the others with
 * an {@link IllegalArgumentException} naming the file and the line; it was a
 * {@code MalformedInputException} ("Input length = 1", an {@code IOException}) that named neither.
 */
class FileAuthenticatorMalformedInputTest {

    @TempDir
    Path dir;

    @Test
    void aLineThatIsNotUtf8IsRefusedByNumber() throws Exception {
        assertRefusedAt(1, new byte[] {(byte) 0x8b});
        // Lines end at LF, CR or CRLF, as Files.readAllLines counts them.
        assertRefusedAt(4, bytes("alice:x\r\nbob:y\rcarol:z\n", 'j', 0xf6, ':', 'x', '\n'));
        assertRefusedAt(2, bytes("# comment\n# caf", 0xe9, '\n', "alice:x\n"));
    }

    private void assertRefusedAt(int line, byte[] content) throws Exception {
        Path file = Files.write(dir.resolve("users"), content);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FileAuthenticator.load(file));
        assertEquals(file + " line " + line + ": not valid UTF-8", e.getMessage());
    }

    private static byte[] bytes(Object... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof String s) {
                out.writeBytes(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            } else if (p instanceof Character c) {
                out.write(c);
            } else {
                out.write((Integer) p);
            }
        }
        return out.toByteArray();
    }
}
