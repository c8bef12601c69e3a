package io.smtpkit.relay.queue;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on a directory; restart = a new {@link DiskQueueStore} on the same directory. */
class DiskQueueStoreTest extends QueueStoreContract {

    @TempDir
    Path dir;

    @Override
    protected QueueStore openStore() throws Exception {
        return DiskQueueStore.open(dir.resolve("queue"), new DiskQueueStore.Reserve(0, 0));
    }
}
