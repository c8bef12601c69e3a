package io.smtpkit.protocol.internal;

/**
 * Case folding for protocol keywords, which are ASCII (RFC 5321 §2.4: verbs, parameters and
 * extension keywords are case-insensitive in the ASCII sense). {@link String#toUpperCase} and
 * {@link String#equalsIgnoreCase} fold Unicode too, so {@code "laſt"} would be {@code LAST} and
 * {@code "maıl"} {@code MAIL}: a command one parser takes and another refuses, the stuff of
 * smuggling. Only {@code a}–{@code z} fold here.
 */
public final class Ascii {

    private Ascii() {}

    /** {@code s} with {@code a}–{@code z} upper-cased and every other character as it is. */
    public static String upper(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 'a' && c <= 'z') {
                char[] chars = s.toCharArray();
                for (int j = i; j < chars.length; j++) {
                    if (chars[j] >= 'a' && chars[j] <= 'z') {
                        chars[j] -= 'a' - 'A';
                    }
                }
                return new String(chars);
            }
        }
        return s;
    }

    /** Whether {@code a} and {@code b} are equal when only {@code a}–{@code z} are folded. */
    public static boolean equalsIgnoreCase(String a, String b) {
        return a.length() == b.length() && regionMatchesIgnoreCase(a, 0, b, 0, a.length());
    }

    /** {@link String#regionMatches(boolean, int, String, int, int)}, folding ASCII letters only. */
    public static boolean regionMatchesIgnoreCase(String a, int aFrom, String b, int bFrom, int length) {
        if (aFrom < 0 || bFrom < 0 || aFrom + length > a.length() || bFrom + length > b.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (fold(a.charAt(aFrom + i)) != fold(b.charAt(bFrom + i))) {
                return false;
            }
        }
        return true;
    }

    private static char fold(char c) {
        return c >= 'a' && c <= 'z' ? (char) (c - ('a' - 'A')) : c;
    }
}
