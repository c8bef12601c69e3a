package io.smtpkit.relay.queue;

import java.io.IOException;

/**
 * Opens a {@link QueueStore} named by a spec such as {@code postgresql://host/db}: the seam for a
 * store smtpkit's relay does not ship in its own jar. {@link QueueStores#open} finds factories with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/io.smtpkit.relay.queue.QueueStoreFactory}).
 */
public interface QueueStoreFactory {

    /** True if this factory opens stores named like {@code spec}. */
    boolean accepts(String spec);

    /** Opens (creating or migrating when needed) the store {@code spec} names. */
    QueueStore open(String spec) throws IOException;
}
