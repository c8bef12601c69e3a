package io.smtpkit.queue.postgres;

import io.smtpkit.relay.queue.QueueStore;
import io.smtpkit.relay.queue.QueueStoreContract;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterEach;

/** Every test of the store contract, against PostgreSQL: a schema of its own per test, reopened on the same schema. */
class PostgresQueueStoreTest extends QueueStoreContract {

    private TestDatabase db;

    @Override
    protected QueueStore openStore() throws Exception {
        if (db == null) {
            db = TestDatabase.create();
        }
        return PostgresQueueStore.connect(db.url());
    }

    @AfterEach
    void drop() throws SQLException {
        if (db != null) {
            db.close();
        }
    }
}
