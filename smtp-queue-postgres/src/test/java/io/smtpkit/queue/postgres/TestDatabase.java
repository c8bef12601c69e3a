package io.smtpkit.queue.postgres;

import io.smtpkit.server.testsupport.Tools;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A schema of its own in the test database {@code SMTPKIT_TEST_POSTGRES} names (a JDBC URL;
 * {@code scripts/postgres-test-db.sh start} makes one and prints it): without the variable the
 * test is skipped, under {@code CI=true} it fails. {@link #url()} points the store at the schema
 * through pgjdbc's {@code currentSchema}; {@link #close()} drops it.
 */
final class TestDatabase implements AutoCloseable {

    static final String VARIABLE = "SMTPKIT_TEST_POSTGRES";

    private final String base;
    private final String schema;

    private TestDatabase(String base, String schema) {
        this.base = base;
        this.schema = schema;
    }

    static TestDatabase create() throws SQLException {
        String base = System.getenv(VARIABLE);
        if (base == null || base.isBlank()) {
            Tools.unavailable(VARIABLE + " is not set (bash scripts/postgres-test-db.sh start prints its value)");
        }
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(base); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        return new TestDatabase(base, schema);
    }

    /** The JDBC URL of this schema. */
    String url() {
        return base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    String schema() {
        return schema;
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(url());
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = DriverManager.getConnection(base); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }
}
