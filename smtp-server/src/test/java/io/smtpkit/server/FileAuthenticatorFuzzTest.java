package io.smtpkit.server;

import static io.smtpkit.protocol.FuzzSupport.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@link FileAuthenticator#load} on any file content (issue 14). A readable file either loads,
 * and then every plain-password user it lists authenticates with exactly that password, or is
 * refused with the documented {@link IllegalArgumentException} naming the file and a line of it
 * that holds an entry, without that line's password. Nothing else: no {@link IOException} (the
 * file is readable), no unchecked surprise.
 *
 * <p>Input: the file's bytes.
 */
class FileAuthenticatorFuzzTest {

    private static final Path FILE = tempFile();

    /** Message texts in which a short password might appear by chance. */
    private static final String OWN_WORDS = "expected user:password or user:{PBKDF2}iterations:salt:hash "
            + "the user name has spaces or control characters around or in it empty password "
            + "expected {PBKDF2}iterations:base64salt:base64hash PBKDF2 iterations must be a number from 1 to 10000000 "
            + "PBKDF2 salt is empty or hash shorter than 16 bytes PBKDF2 salt or hash is not valid base64 appears twice";

    @FuzzTest(maxDuration = "60s")
    void load(byte[] input) throws IOException {
        Files.write(FILE, input);
        // The lines as Files.readAllLines splits them (LF, CR or CRLF).
        List<String> lines = new String(input, StandardCharsets.UTF_8).lines().toList();
        FileAuthenticator users;
        try {
            users = FileAuthenticator.load(FILE);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            String prefix = FILE + " line ";
            check(message != null && message.startsWith(prefix), () -> "a refusal that does not name the file: " + message);
            int colon = message.indexOf(':', prefix.length());
            check(colon > prefix.length(), () -> "a refusal without a line number: " + message);
            int number = Integer.parseInt(message.substring(prefix.length(), colon));
            if (message.endsWith(": not valid UTF-8")) {
                check(number == firstLineNotUtf8(input), () -> "the first line that is not UTF-8 is " + firstLineNotUtf8(input) + ": " + message);
                return;
            }
            check(number >= 1 && number <= lines.size(), () -> "a line number outside the file: " + message);
            String line = lines.get(number - 1);
            check(!line.isBlank() && !line.stripLeading().startsWith("#"), () -> "a blank or comment line refused: " + message);
            int userEnd = line.indexOf(':');
            if (userEnd > 0) {
                String user = line.substring(0, userEnd);
                String password = line.substring(userEnd + 1);
                String told = message.substring(colon).replace(user, "");
                check(password.length() < 6 || OWN_WORDS.contains(password) || !told.contains(password),
                        () -> "a refusal shows the password: " + message);
            }
            return;
        }
        long entries = 0;
        boolean cheap = true;
        for (String line : lines) {
            if (line.isBlank() || line.stripLeading().startsWith("#")) {
                continue;
            }
            entries++;
            String secret = line.substring(line.indexOf(':') + 1);
            if (secret.startsWith("{PBKDF2}")) {
                cheap &= Integer.parseInt(secret.substring(8, secret.indexOf(':'))) <= 2000;
            }
        }
        long listed = entries;
        check(users.size() == listed, () -> users.size() + " users loaded from " + listed + " entries");
        if (!cheap) {
            return; // every check costs the dearest entry's PBKDF2 rounds: too slow to fuzz
        }
        for (String line : lines) {
            if (line.isBlank() || line.stripLeading().startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            String user = line.substring(0, colon);
            String secret = line.substring(colon + 1);
            if (!secret.startsWith("{PBKDF2}")) {
                check(users.authenticate(user, secret), "a listed user does not authenticate with the password");
                check(!users.authenticate(user, secret + "x"), "a listed user authenticates with another password");
            }
        }
        check(!users.authenticate("\0nobody", ""), "an unlisted user authenticates");
    }

    /** The model: lines end at LF, CR or CRLF; the number of the first whose bytes are not UTF-8, or 0. */
    private static int firstLineNotUtf8(byte[] bytes) {
        int number = 1;
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            boolean end = i == bytes.length || bytes[i] == '\n' || bytes[i] == '\r';
            if (!end) {
                continue;
            }
            try {
                StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, start, i - start));
            } catch (CharacterCodingException e) {
                return number;
            }
            if (i < bytes.length && bytes[i] == '\r' && i + 1 < bytes.length && bytes[i + 1] == '\n') {
                i++;
            }
            start = i + 1;
            number++;
        }
        return 0;
    }

    private static Path tempFile() {
        try {
            Path dir = Files.createTempDirectory("smtpkit-fuzz-auth");
            dir.toFile().deleteOnExit();
            Path file = dir.resolve("users");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
