package io.smtpkit.inbox.internal;

/** The inbox's own JSON reader, opened to the tests that check the API's answers. */
public final class TestJson {

    private TestJson() {}

    public static Object parse(String json) {
        return JsonReader.parse(json);
    }
}
