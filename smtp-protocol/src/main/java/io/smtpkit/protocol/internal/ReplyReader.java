package io.smtpkit.protocol.internal;

import io.smtpkit.protocol.Reply;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The client's side of RFC 5321 §4.2: frames the server's bytes into replies, however they are
 * split, and parses each one. A multi-line reply ({@code 250-...} lines, then {@code 250 ...}) is
 * one {@link Reply}; an RFC 3463 enhanced status code at the start of the text is taken out of it
 * (RFC 2034 §4 repeats it on every line) when its class matches the reply code.
 *
 * <p>What a server must not send is a {@linkplain #problem() problem}, never an exception: a line
 * longer than 512 octets with its CRLF (RFC 5321 §4.5.3.1.5), a code that is not three digits of
 * {@code [2-5][0-5][0-9]}, a fourth character other than space or hyphen, a continuation line with
 * another code, a CR inside a line, or more lines than the limit. After a problem the reader takes
 * no more input: the reply stream can no longer be trusted. A bare LF is accepted as a line end.
 */
public final class ReplyReader {

    /** RFC 5321 §4.5.3.1.5: the longest reply line, code and CRLF included. */
    public static final int MAX_LINE = 512;

    private final LineReader lines = new LineReader(MAX_LINE);
    private final int maxLines;
    private final List<String> text = new ArrayList<>();
    private int code = -1;
    private String enhanced;
    private String problem;

    /** @param maxLines the most lines one reply may have before it counts as garbage */
    public ReplyReader(int maxLines) {
        this.maxLines = maxLines;
    }

    /**
     * Reads from {@code in}'s position until one reply is complete (and returns it, leaving the
     * rest of {@code in} unread) or {@code in} is used up (and returns {@code null}). A
     * {@code null} with {@link #problem()} set means the input was not a reply; the rest of
     * {@code in} is then skipped.
     */
    public Reply read(ByteBuffer in) {
        while (problem == null && in.hasRemaining()) {
            LineReader.Result r = lines.read(in);
            if (r == LineReader.Result.MORE) {
                return null;
            }
            if (r == LineReader.Result.TOO_LONG) {
                return fail("a reply line longer than " + MAX_LINE + " octets (RFC 5321 §4.5.3.1.5)");
            }
            Reply reply = line(lines.bytes(), lines.length());
            lines.clear();
            if (reply != null) {
                return reply;
            }
        }
        if (problem != null) {
            in.position(in.limit());
        }
        return null;
    }

    /** Why the input is not a reply stream, or {@code null} while it still is. */
    public String problem() {
        return problem;
    }

    /** True while a multi-line reply or a line has begun and not ended. */
    public boolean inReply() {
        return code >= 0;
    }

    /**
     * Forgets everything, a partial line and a problem included: after a TLS handshake the
     * plaintext read before it must not count (RFC 3207 §4.2).
     */
    public void reset() {
        lines.reset();
        text.clear();
        code = -1;
        enhanced = null;
        problem = null;
    }

    private Reply line(byte[] b, int n) {
        if (n < 3 || !digit(b[0], '2', '5') || !digit(b[1], '0', '5') || !digit(b[2], '0', '9')) {
            return fail("not a reply line: " + Printable.of(b, n));
        }
        boolean last;
        if (n == 3 || b[3] == ' ') {
            last = true;
        } else if (b[3] == '-') {
            last = false;
        } else {
            return fail("a reply code must be followed by a space or a hyphen: " + Printable.of(b, n));
        }
        int lineCode = (b[0] - '0') * 100 + (b[1] - '0') * 10 + (b[2] - '0');
        if (code >= 0 && lineCode != code) {
            return fail("a multi-line reply changed its code from " + code + " to " + lineCode);
        }
        for (int i = 4; i < n; i++) {
            if (b[i] == '\r') {
                return fail("a CR inside a reply line: " + Printable.of(b, n));
            }
        }
        if (text.size() == maxLines) {
            return fail("a reply of more than " + maxLines + " lines");
        }
        code = lineCode;
        String s = n <= 4 ? "" : new String(b, 4, n - 4, StandardCharsets.UTF_8);
        String status = enhancedStatus(s, code);
        if (text.isEmpty()) {
            enhanced = status;
        }
        // RFC 2034 §4 puts the code on every line; it is kept once, apart from the text.
        if (status != null && status.equals(enhanced)) {
            s = s.length() == status.length() ? "" : s.substring(status.length() + 1);
        }
        text.add(s);
        if (!last) {
            return null;
        }
        Reply reply = new Reply(code, enhanced, text);
        text.clear();
        code = -1;
        enhanced = null;
        return reply;
    }

    /** The RFC 3463 code {@code class.subject.detail} that starts {@code s}, if its class fits {@code code}. */
    static String enhancedStatus(String s, int code) {
        int n = s.length();
        // RFC 3463 §3.1 has classes 2, 4 and 5 only: a 354's text never carries one.
        if (n < 5 || code / 100 == 3 || s.charAt(0) != '0' + code / 100 || s.charAt(1) != '.') {
            return null;
        }
        int i = 2;
        int subject = digits(s, i);
        if (subject == 0 || i + subject >= n || s.charAt(i + subject) != '.') {
            return null;
        }
        i += subject + 1;
        int detail = digits(s, i);
        if (detail == 0 || (i + detail < n && s.charAt(i + detail) != ' ')) {
            return null;
        }
        return s.substring(0, i + detail);
    }

    private static int digits(String s, int from) {
        int k = 0;
        while (from + k < s.length() && k < 4 && Character.isDigit(s.charAt(from + k)) && s.charAt(from + k) < 0x80) {
            k++;
        }
        return k > 3 ? 0 : k;
    }

    private static boolean digit(byte b, char low, char high) {
        return b >= low && b <= high;
    }

    private Reply fail(String why) {
        problem = why;
        return null;
    }

    /** Reply bytes for a problem message: printable ASCII as is, the rest escaped, cut at 80. */
    private static final class Printable {
        static String of(byte[] b, int n) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < n && s.length() < 80; i++) {
                int c = b[i] & 0xff;
                if (c >= 0x20 && c < 0x7f) {
                    s.append((char) c);
                } else {
                    s.append(String.format("\\x%02X", c));
                }
            }
            return s.toString();
        }
    }
}
