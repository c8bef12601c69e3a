package io.smtpkit.server.internal;

/**
 * Makes client-derived text safe to log, as Postfix's {@code printable()} does: a client must not
 * be able to write a line break (and with it a whole forged log line), a terminal escape or a
 * right-to-left override into a log file or a terminal. Every string that came from the network
 * (addresses, exception messages that quote a TLS ClientHello, handler exceptions) goes through
 * here before it reaches a logger. Not API.
 */
public final class Printable {

    private Printable() {}

    /**
     * {@code text} with every character that could deceive a reader written as a visible escape:
     * C0 controls, DEL and C1 controls as {@code \xNN}; line and paragraph separators, bidi
     * controls and lone surrogates as {@code \\uNNNN}. Everything else, other Unicode included,
     * is kept. {@code null} stays {@code "null"}, as a logger would print it.
     */
    public static String of(Object value) {
        String text = String.valueOf(value);
        int first = firstUnsafe(text);
        if (first < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x100 && isUnsafe(text, i)) {
                out.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
            } else if (isUnsafe(text, i)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(text.charAt(++i));
            }
        }
        return out.toString();
    }

    /**
     * A copy of {@code e} safe to hand to a logger: the same class name and stack trace, its
     * message and its causes' messages escaped. The stack trace is the server's code; the
     * messages may quote the client.
     */
    public static Throwable exception(Throwable e) {
        if (e == null) {
            return null;
        }
        Throwable copy = new Escaped(e.getClass().getName(), of(e.getMessage() == null ? "" : e.getMessage()),
                e.getCause() == null || e.getCause() == e ? null : exception(e.getCause()));
        copy.setStackTrace(e.getStackTrace());
        return copy;
    }

    private static int firstUnsafe(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (isUnsafe(text, i)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isUnsafe(String text, int i) {
        char c = text.charAt(i);
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
            return true;
        }
        if (c < 0x2000) {
            return false;
        }
        if (c == 0x2028 || c == 0x2029 // line and paragraph separators end a line in some viewers
                || (c >= 0x200e && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) {
            return true; // bidi controls reorder what a reader sees (CVE-2021-42574)
        }
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1));
        }
        return Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(text.charAt(i - 1)));
    }

    /** A stand-in for a logged exception: prints as {@code original.Class: escaped message}. */
    private static final class Escaped extends Exception {
        private static final long serialVersionUID = 1L;
        private final String className;

        Escaped(String className, String message, Throwable cause) {
            super(message, cause, false, true);
            this.className = className;
        }

        @Override
        public String toString() {
            String message = getMessage();
            return message.isEmpty() ? className : className + ": " + message;
        }
    }
}
