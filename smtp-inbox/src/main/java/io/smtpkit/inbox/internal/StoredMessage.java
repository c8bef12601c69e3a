package io.smtpkit.inbox.internal;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * One captured message: its id, arrival time, envelope, the octets as stored (the server's
 * {@code Received:} header first) and what {@link MimeView} read from them. Immutable but for
 * the read mark.
 */
public final class StoredMessage {

    public final String id;
    public final Instant created;
    /** The envelope's reverse path, {@code ""} for {@code <>}. */
    public final String sender;
    public final List<String> recipients;
    private final byte[] raw;
    public final MimeView view;
    /** The Maildir file holding it, or null in memory-only mode. */
    final Path file;
    private volatile boolean read;

    StoredMessage(String id, Instant created, String sender, List<String> recipients, byte[] raw, Path file, boolean read) {
        this.id = id;
        this.created = created;
        this.sender = sender;
        this.recipients = List.copyOf(recipients);
        this.raw = raw;
        this.view = MimeView.parse(raw);
        this.file = file;
        this.read = read;
    }

    /** The stored octets; the caller must not change them. */
    public byte[] raw() {
        return raw;
    }

    public long size() {
        return raw.length;
    }

    public boolean isRead() {
        return read;
    }

    void read(boolean value) {
        read = value;
    }
}
