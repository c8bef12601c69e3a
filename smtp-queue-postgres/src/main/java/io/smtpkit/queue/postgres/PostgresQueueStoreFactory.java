package io.smtpkit.queue.postgres;

import com.google.auto.service.AutoService;
import io.smtpkit.queue.postgres.internal.PostgresUrl;
import io.smtpkit.relay.queue.QueueStore;
import io.smtpkit.relay.queue.QueueStoreFactory;
import java.io.IOException;

/**
 * Opens {@code postgresql://...}, {@code postgres://...} and {@code jdbc:postgresql:...} queue
 * specs as a {@link PostgresQueueStore}; found by {@link java.util.ServiceLoader} when this jar is
 * on the class path (it is inside smtp-cli's shaded jar), so {@code -o queue=postgresql://...}
 * and {@code queue list --queue postgresql://...} need nothing else.
 */
@AutoService(QueueStoreFactory.class)
public final class PostgresQueueStoreFactory implements QueueStoreFactory {

    @Override
    public boolean accepts(String spec) {
        return PostgresUrl.accepts(spec);
    }

    @Override
    public QueueStore open(String spec) throws IOException {
        return PostgresQueueStore.connect(spec);
    }
}
