package io.smtpkit.queue.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.queue.postgres.internal.Migrations;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MigrationsTest {

    private TestDatabase db;

    @BeforeEach
    void schema() throws SQLException {
        db = TestDatabase.create();
    }

    @AfterEach
    void drop() throws SQLException {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void createsEveryTableAndRecordsTheVersion() throws SQLException {
        try (Connection c = db.connect()) {
            assertEquals(Migrations.latest(), Migrations.migrate(c));
            assertEquals(List.of("messages", "recipients", "schema_version"), tables(c));
            assertEquals(List.of("1 V1__queue.sql"), versions(c));
            assertTrue(c.getAutoCommit());
        }
    }

    @Test
    void migratingTwiceIsANoOp() throws SQLException {
        try (Connection c = db.connect()) {
            Migrations.migrate(c);
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO messages (id, arrival, sender, param_names, param_values, content, next_attempt)"
                        + " VALUES ('kept', now(), '', '{}', '{}', '\\x41', now())");
            }
            assertEquals(0, Migrations.migrate(c));
            assertEquals(List.of("1 V1__queue.sql"), versions(c));
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM messages")) {
                r.next();
                assertEquals(1, r.getInt(1), "a second run must not recreate the tables");
            }
        }
    }

    /** Nodes started together: without the advisory lock they race on CREATE TABLE and the version row. */
    @Test
    void nodesMigratingAtOnceApplyEachFileOnce() throws Exception {
        int nodes = 6;
        CyclicBarrier start = new CyclicBarrier(nodes);
        ExecutorService pool = Executors.newFixedThreadPool(nodes);
        try {
            List<Future<Integer>> runs = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                runs.add(pool.submit(() -> {
                    try (Connection c = db.connect()) {
                        start.await();
                        return Migrations.migrate(c);
                    }
                }));
            }
            int applied = 0;
            for (Future<Integer> run : runs) {
                applied += run.get();
            }
            assertEquals(Migrations.latest(), applied, "every file applied by exactly one node");
        } finally {
            pool.shutdownNow();
        }
        try (Connection c = db.connect()) {
            assertEquals(List.of("1 V1__queue.sql"), versions(c));
        }
    }

    @Test
    void refusesASchemaNewerThanItKnows() throws SQLException {
        try (Connection c = db.connect()) {
            Migrations.migrate(c);
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO schema_version (version, name) VALUES (" + (Migrations.latest() + 1) + ", 'V9__future.sql')");
            }
            SQLException e = assertThrows(SQLException.class, () -> Migrations.migrate(c));
            assertTrue(e.getMessage().contains("newer than this smtpkit knows"), e.getMessage());
        }
    }

    private List<String> tables(Connection c) throws SQLException {
        List<String> names = new ArrayList<>();
        try (var p = c.prepareStatement("SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1")) {
            p.setString(1, db.schema());
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    names.add(r.getString(1));
                }
            }
        }
        return names;
    }

    private static List<String> versions(Connection c) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT version, name FROM schema_version ORDER BY version")) {
            while (r.next()) {
                rows.add(r.getInt(1) + " " + r.getString(2));
            }
        }
        return rows;
    }
}
