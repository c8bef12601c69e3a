package io.smtpkit.inbox.internal;

/**
 * A small JSON writer: enough for the API's objects, arrays, strings, numbers and booleans.
 * Strings are escaped for JSON and also for HTML ({@code <}, {@code >}, {@code &}, {@code '} as
 * {@code &#92;u00XX}), so a value can never close a script block or an attribute should a page ever
 * embed a response; U+2028/2029 are escaped for old JavaScript parsers.
 *
 * <p>Commas are placed by the writer: call {@link #name} then a value inside objects, values alone
 * inside arrays.
 */
public final class Json {

    private final StringBuilder out = new StringBuilder(256);
    /** One bit per open container: whether it already holds a member. */
    private long filled;
    private int depth;
    private boolean afterName;

    public Json beginObject() {
        value();
        out.append('{');
        push();
        return this;
    }

    public Json endObject() {
        depth--;
        out.append('}');
        return this;
    }

    public Json beginArray() {
        value();
        out.append('[');
        push();
        return this;
    }

    public Json endArray() {
        depth--;
        out.append(']');
        return this;
    }

    public Json name(String name) {
        separate();
        string(name);
        out.append(':');
        afterName = true;
        return this;
    }

    public Json value(String s) {
        value();
        if (s == null) {
            out.append("null");
        } else {
            string(s);
        }
        return this;
    }

    public Json value(long n) {
        value();
        out.append(n);
        return this;
    }

    public Json value(boolean b) {
        value();
        out.append(b);
        return this;
    }

    /** {@code name} then a string value. */
    public Json field(String name, String value) {
        return name(name).value(value);
    }

    public Json field(String name, long value) {
        return name(name).value(value);
    }

    public Json field(String name, boolean value) {
        return name(name).value(value);
    }

    private void push() {
        depth++;
        if (depth > 63) {
            throw new IllegalStateException("JSON nested too deep");
        }
        filled &= ~(1L << depth);
    }

    private void value() {
        if (afterName) {
            afterName = false;
            return;
        }
        separate();
    }

    private void separate() {
        if (depth == 0) {
            return;
        }
        long bit = 1L << depth;
        if ((filled & bit) != 0) {
            out.append(',');
        }
        filled |= bit;
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\'' || c == 0x2028 || c == 0x2029 || c == 0x7f) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
