package io.smtpkit.queue.postgres.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and migrates the queue's tables: plain SQL files in this package's {@code migrations}
 * resources, {@code V<n>__<name>.sql}, applied in order and recorded in {@code schema_version}.
 *
 * <p>Every node runs {@link #migrate} at start, so two nodes starting at once must not both apply
 * a file: the whole run is one transaction under a transaction-scoped advisory lock, keyed by the
 * schema, which the second node waits for and then finds nothing left to do. PostgreSQL's DDL is
 * transactional, so a file that fails leaves no half of itself behind.
 */
public final class Migrations {

    private static final Logger log = LoggerFactory.getLogger(Migrations.class);

    /** In order; a file, once released, is never edited: a change is a new file. */
    static final List<String> FILES = List.of("V1__queue.sql");

    /** 'SMTP': the advisory lock's first key; the second is the schema's hash. */
    private static final int LOCK_CLASS = 0x534d5450;

    private Migrations() {}

    /** The version this build brings the schema to. */
    public static int latest() {
        return FILES.size();
    }

    /**
     * Brings the schema of {@code c}'s {@code current_schema()} up to {@link #latest()} and returns
     * how many files it applied (0 when it was up to date). Commits; leaves {@code c} in auto-commit.
     *
     * @throws SQLException also when the schema is newer than this build knows: an older node must
     *     not write to tables it does not understand
     */
    public static int migrate(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + LOCK_CLASS + ", hashtext(current_schema()))");
            }
            // looked up, not CREATE ... IF NOT EXISTS: that needs the CREATE privilege even when the
            // table is there, and a node of an up-to-date schema needs only to read and write rows
            boolean recorded;
            try (Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT to_regclass('schema_version') IS NOT NULL")) {
                r.next();
                recorded = r.getBoolean(1);
            }
            if (!recorded) {
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE schema_version ("
                            + " version integer PRIMARY KEY,"
                            + " name text NOT NULL,"
                            + " applied_at timestamptz NOT NULL DEFAULT now())");
                }
            }
            int current = 0;
            try (Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT coalesce(max(version), 0) FROM schema_version")) {
                r.next();
                current = r.getInt(1);
            }
            if (current > latest()) {
                throw new SQLException("the queue's schema is at version " + current
                        + ", newer than this smtpkit knows (" + latest() + "): upgrade this node");
            }
            int applied = 0;
            for (int v = current + 1; v <= latest(); v++) {
                String file = FILES.get(v - 1);
                try (Statement s = c.createStatement()) {
                    s.execute(read(file));
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO schema_version (version, name) VALUES (?, ?)")) {
                    p.setInt(1, v);
                    p.setString(2, file);
                    p.executeUpdate();
                }
                applied++;
            }
            c.commit();
            if (applied > 0) {
                log.info("queue schema migrated from version {} to {}", current, latest());
            }
            return applied;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static String read(String file) {
        try (InputStream in = Migrations.class.getResourceAsStream("/io/smtpkit/queue/postgres/migrations/" + file)) {
            if (in == null) {
                throw new IllegalStateException("migration " + file + " missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
