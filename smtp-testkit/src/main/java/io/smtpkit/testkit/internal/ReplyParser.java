package io.smtpkit.testkit.internal;

import io.smtpkit.protocol.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reply text as the session wrote it back into {@link Reply} values (RFC 5321 §4.2, RFC 2034 §4). */
public final class ReplyParser {

    private static final Pattern LINE = Pattern.compile("(\\d{3})([ -])(.*)");
    private static final Pattern ENHANCED = Pattern.compile("([245]\\.\\d{1,3}\\.\\d{1,3}) (.*)");

    private ReplyParser() {}

    /**
     * The replies in {@code text}: CRLF-ended lines, {@code code-text} for all but the last line
     * of a reply and {@code code text} for its last. An enhanced code leading every line is taken
     * apart from the text.
     *
     * @throws IllegalArgumentException on a line that is not a reply line
     */
    public static List<Reply> parse(String text) {
        List<Reply> replies = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        String enhanced = null;
        boolean enhancedOnAll = true;
        for (String line : text.split("\r\n")) {
            if (line.isEmpty()) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw new IllegalArgumentException("not a reply line: " + line);
            }
            int code = Integer.parseInt(m.group(1));
            Matcher e = ENHANCED.matcher(m.group(3));
            if (e.matches() && e.group(1).charAt(0) == m.group(1).charAt(0)) {
                if (lines.isEmpty()) {
                    enhanced = e.group(1);
                }
                enhancedOnAll &= e.group(1).equals(enhanced);
            } else {
                enhancedOnAll = false;
            }
            lines.add(m.group(3));
            if (m.group(2).equals(" ")) {
                if (enhancedOnAll && enhanced != null) {
                    String prefix = enhanced + " ";
                    lines.replaceAll(l -> l.substring(prefix.length()));
                    replies.add(new Reply(code, enhanced, lines));
                } else {
                    replies.add(new Reply(code, null, lines));
                }
                lines = new ArrayList<>();
                enhanced = null;
                enhancedOnAll = true;
            }
        }
        return replies;
    }
}
