package io.smtpkit.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * An {@link Authenticator} over a password file, one user per line:
 * <pre>
 * # comments and blank lines are ignored
 * alice:correct horse battery staple
 * bob:{PBKDF2}210000:BASE64SALT:BASE64HASH
 * </pre>
 * A plain password is everything after the first colon. A {@code {PBKDF2}} entry holds the
 * iteration count, salt and hash of PBKDF2WithHmacSHA256 (make one with
 * {@link #hash(char[])}). Comparisons take the same time whether a user exists or the password
 * is close (RFC 4954 §9's advice against giving attackers hints); neither passwords nor user
 * names are ever logged.
 */
public final class FileAuthenticator implements Authenticator {

    private static final String PBKDF2 = "{PBKDF2}";
    private static final String ALGORITHM = "PBKDF2WithHmacSHA256";
    /** OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
    public static final int DEFAULT_ITERATIONS = 210_000;

    private final Map<String, Entry> users;
    private final Entry dummy;

    private FileAuthenticator(Map<String, Entry> users) {
        this.users = Map.copyOf(users);
        // An unknown user is checked against a stand-in that costs as much as a real entry, so
        // response time does not tell which user names exist.
        int iterations = users.values().stream().mapToInt(Entry::iterations).max().orElse(0);
        this.dummy = iterations == 0
                ? new Entry(0, null, sha256("not a password".getBytes(StandardCharsets.UTF_8)))
                : new Entry(iterations, new byte[16], new byte[32]);
    }

    /**
     * Reads a password file.
     *
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if a line is malformed or a user appears twice; the message
     *     names the file and the line number, never the password
     */
    public static FileAuthenticator load(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            // A readable file with a line that is not UTF-8 is a malformed line, not an I/O error.
            throw new IllegalArgumentException(file + " line " + firstLineNotUtf8(file) + ": not valid UTF-8");
        }
        Map<String, Entry> users = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || line.stripLeading().startsWith("#")) {
                continue;
            }
            String where = file + " line " + (i + 1);
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException(where + ": expected user:password or user:{PBKDF2}iterations:salt:hash");
            }
            String user = line.substring(0, colon);
            if (!user.strip().equals(user) || user.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new IllegalArgumentException(where + ": the user name has spaces or control characters around or in it");
            }
            String secret = line.substring(colon + 1);
            Entry entry = secret.startsWith(PBKDF2) ? parseHashed(secret.substring(PBKDF2.length()), where) : plain(secret, where);
            if (users.put(user, entry) != null) {
                throw new IllegalArgumentException(where + ": user " + user + " appears twice");
            }
        }
        return new FileAuthenticator(users);
    }

    /** The number of the first line that is not UTF-8, counting lines as {@link Files#readAllLines} does. */
    private static int firstLineNotUtf8(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        StandardCharsets.UTF_8.newDecoder().decode(in, CharBuffer.allocate(bytes.length), true);
        int line = 1;
        for (int i = 0; i < in.position(); i++) {
            if (bytes[i] == '\n' || (bytes[i] == '\r' && (i + 1 >= bytes.length || bytes[i + 1] != '\n'))) {
                line++;
            }
        }
        return line;
    }

    private static Entry plain(String password, String where) {
        if (password.isEmpty()) {
            throw new IllegalArgumentException(where + ": empty password");
        }
        return new Entry(0, null, sha256(password.getBytes(StandardCharsets.UTF_8)));
    }

    private static Entry parseHashed(String spec, String where) {
        String[] parts = spec.split(":", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException(where + ": expected {PBKDF2}iterations:base64salt:base64hash");
        }
        int iterations;
        try {
            iterations = Integer.parseInt(parts[0]);
        } catch (NumberFormatException e) {
            iterations = -1;
        }
        if (iterations < 1 || iterations > 10_000_000) {
            throw new IllegalArgumentException(where + ": PBKDF2 iterations must be a number from 1 to 10000000");
        }
        try {
            byte[] salt = Base64.getDecoder().decode(parts[1]);
            byte[] hash = Base64.getDecoder().decode(parts[2]);
            if (salt.length == 0 || hash.length < 16) {
                throw new IllegalArgumentException(where + ": PBKDF2 salt is empty or hash shorter than 16 bytes");
            }
            return new Entry(iterations, salt, hash);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(where)) {
                throw e;
            }
            throw new IllegalArgumentException(where + ": PBKDF2 salt or hash is not valid base64");
        }
    }

    /** The number of users in the file. */
    public int size() {
        return users.size();
    }

    @Override
    public boolean authenticate(String username, String password) {
        Entry entry = users.get(username);
        boolean known = entry != null;
        Entry checked = known ? entry : dummy;
        byte[] given = checked.iterations > 0
                ? pbkdf2(password.toCharArray(), checked.salt, checked.iterations, checked.hash.length * 8)
                : sha256(password.getBytes(StandardCharsets.UTF_8));
        int padding = padding(checked);
        if (padding > 0) {
            // A cheaper entry (a plain password, fewer iterations) is topped up to the cost of the
            // dearest one, which is also what an unknown user costs: otherwise the response time
            // of a file mixing both kinds tells which user names exist.
            pbkdf2(password.toCharArray(), dummy.salt, padding, 256);
        }
        // MessageDigest.isEqual takes time independent of where the arrays differ.
        return MessageDigest.isEqual(given, checked.hash) & known;
    }

    /** PBKDF2 iterations that checking {@code username} costs; the same for every name, known or not. */
    int cost(String username) {
        Entry checked = users.getOrDefault(username, dummy);
        return checked.iterations + padding(checked);
    }

    private int padding(Entry checked) {
        return dummy.iterations - checked.iterations;
    }

    /**
     * A {@code {PBKDF2}iterations:salt:hash} entry for {@code password}, to put after
     * {@code user:} in the file.
     */
    public static String hash(char[] password) {
        return hash(password, DEFAULT_ITERATIONS);
    }

    /** As {@link #hash(char[])} with another iteration count. */
    public static String hash(char[] password, int iterations) {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be positive: " + iterations);
        }
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        byte[] hash = pbkdf2(password, salt, iterations, 256);
        Base64.Encoder b64 = Base64.getEncoder();
        return PBKDF2 + iterations + ":" + b64.encodeToString(salt) + ":" + b64.encodeToString(hash);
    }

    private static byte[] pbkdf2(char[] password, byte[] salt, int iterations, int bits) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, bits);
        try {
            return SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is not available", e);
        } finally {
            spec.clearPassword();
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** Keeps no password text: plain passwords as their SHA-256, so all compares are of equal length. */
    private record Entry(int iterations, byte[] salt, byte[] hash) {
        @Override
        public String toString() {
            return "Entry[***]";
        }
    }
}
