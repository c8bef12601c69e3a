package io.smtpkit.inbox.internal;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The API's JSON shapes, named and typed as in Mailpit's {@code swagger.json} ({@code
 * MessagesSummary}, {@code MessageSummary}, {@code Message}, {@code Address}, {@code
 * Attachment}), so clients written for Mailpit read them unchanged.
 */
final class ApiJson {

    private ApiJson() {}

    /** {@code MessagesSummary}: one page of {@code page} out of {@code matched}. */
    static String summary(MessageStore store, List<StoredMessage> matched, int start, List<StoredMessage> page) {
        Json j = new Json().beginObject();
        j.field("total", store.size());
        j.field("unread", store.unread());
        // "count": Mailpit's legacy field, still sent: the messages in this page.
        j.field("count", page.size());
        j.field("messages_count", matched.size());
        j.field("messages_unread", matched.stream().filter(m -> !m.isRead()).count());
        j.field("start", start);
        j.name("tags").beginArray().endArray();
        j.name("messages").beginArray();
        for (StoredMessage m : page) {
            messageSummary(j, m);
        }
        j.endArray();
        return j.endObject().toString();
    }

    /** {@code MessageSummary}, as listed and as pushed on arrival. */
    static void messageSummary(Json j, StoredMessage m) {
        MimeView v = m.view;
        j.beginObject();
        identity(j, m);
        j.field("Subject", v.subject);
        j.field("Created", time(m.created));
        j.field("Username", "");
        j.name("Tags").beginArray().endArray();
        j.field("Size", m.size());
        j.field("Attachments", v.attachments.size());
        j.field("Snippet", v.snippet);
        j.endObject();
    }

    /** The fields a summary and a message begin with alike: ids, the read mark and the addresses. */
    private static void identity(Json j, StoredMessage m) {
        MimeView v = m.view;
        j.field("ID", m.id);
        j.field("MessageID", v.messageId);
        j.field("Read", m.isRead());
        j.name("From");
        address(j, v.from);
        j.name("To");
        addresses(j, v.to);
        j.name("Cc");
        addresses(j, v.cc);
        j.name("Bcc");
        addresses(j, bcc(m));
        j.name("ReplyTo");
        addresses(j, v.replyTo);
    }

    static String messageSummary(StoredMessage m) {
        Json j = new Json();
        messageSummary(j, m);
        return j.toString();
    }

    /** {@code Message}, with smtpkit's {@code Envelope} and {@code Read} added. */
    static String message(StoredMessage m) {
        MimeView v = m.view;
        Json j = new Json().beginObject();
        identity(j, m);
        j.field("ReturnPath", m.sender);
        j.field("Subject", v.subject);
        j.field("Date", time(v.date != null ? v.date : m.created));
        j.field("Created", time(m.created));
        j.field("Username", "");
        j.name("Tags").beginArray().endArray();
        j.field("Text", v.text == null ? "" : v.text);
        j.field("HTML", v.html == null ? "" : v.html);
        j.field("Size", m.size());
        j.name("Inline");
        parts(j, v.inline);
        j.name("Attachments");
        parts(j, v.attachments);
        j.name("Envelope").beginObject();
        j.field("From", m.sender);
        j.name("To").beginArray();
        m.recipients.forEach(j::value);
        j.endArray().endObject();
        if (v.problem() != null) {
            j.field("Problem", v.problem());
        }
        return j.endObject().toString();
    }

    /** The headers as Mailpit's {@code /headers} gives them: each name once, its values in order. */
    static String headers(StoredMessage m) {
        Map<String, List<String>> grouped = new LinkedHashMap<>();
        Map<String, String> firstSpelling = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : m.view.headers) {
            String key = h.getKey().toLowerCase(Locale.ROOT);
            String name = firstSpelling.computeIfAbsent(key, k -> h.getKey());
            grouped.computeIfAbsent(name, k -> new ArrayList<>()).add(h.getValue());
        }
        Json j = new Json().beginObject();
        grouped.forEach((name, values) -> {
            j.name(name).beginArray();
            values.forEach(j::value);
            j.endArray();
        });
        return j.endObject().toString();
    }

    /**
     * The Bcc header's addresses, then the envelope recipients no header names: who got a blind
     * copy, which only the envelope knows once the sender removed the header (as Mailpit does).
     */
    private static List<MimeView.Mailbox> bcc(StoredMessage m) {
        List<MimeView.Mailbox> list = new ArrayList<>(m.view.bcc);
        for (String r : m.recipients) {
            boolean named = false;
            for (List<MimeView.Mailbox> l : List.of(m.view.to, m.view.cc, m.view.bcc)) {
                for (MimeView.Mailbox a : l) {
                    named |= a.address().equalsIgnoreCase(r);
                }
            }
            if (!named) {
                list.add(new MimeView.Mailbox("", r));
            }
        }
        return list;
    }

    private static void parts(Json j, List<MimeView.PartInfo> parts) {
        j.beginArray();
        for (MimeView.PartInfo p : parts) {
            j.beginObject();
            j.field("PartID", p.partId());
            j.field("FileName", p.fileName());
            j.field("ContentType", p.contentType());
            j.field("ContentID", p.contentId());
            j.field("Size", p.size());
            j.endObject();
        }
        j.endArray();
    }

    private static void address(Json j, MimeView.Mailbox a) {
        j.beginObject().field("Name", a.name()).field("Address", a.address()).endObject();
    }

    private static void addresses(Json j, List<MimeView.Mailbox> list) {
        j.beginArray();
        list.forEach(a -> address(j, a));
        j.endArray();
    }

    /** RFC 3339, UTC, to the millisecond. */
    static String time(Instant t) {
        return t.truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
