package io.smtpkit.queue.postgres;

import io.smtpkit.queue.postgres.internal.ConnectionPool;
import io.smtpkit.queue.postgres.internal.Migrations;
import io.smtpkit.queue.postgres.internal.PostgresUrl;
import io.smtpkit.relay.queue.QueueStore;
import io.smtpkit.relay.queue.QueuedEnvelope;
import io.smtpkit.relay.queue.QueuedMessage;
import io.smtpkit.relay.queue.RecipientOutcome;
import io.smtpkit.relay.queue.RecipientState;
import io.smtpkit.relay.queue.RecipientState.State;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link QueueStore} in a PostgreSQL database that several smtpkit nodes share: any node's
 * relay enqueues, any node's queue runner delivers, and a node that dies leaves its work to the
 * others once its leases expire. Opened with {@link #connect(String)} (or {@code -o
 * queue=postgresql://...} through {@link PostgresQueueStoreFactory}), which creates or migrates
 * the tables ({@code V<n>__*.sql} in this jar, under an advisory lock).
 *
 * <ul>
 *   <li>{@link #enqueue} commits the message, its content and every recipient in one transaction
 *       and returns after the commit: with PostgreSQL's default {@code synchronous_commit = on}
 *       the WAL is flushed before the commit returns, so the relay's 250 follows a durable write.
 *   <li>{@link #claimDue} picks due rows with {@code SELECT ... FOR UPDATE SKIP LOCKED}, so two
 *       nodes claiming at once never wait on nor take each other's rows, and sets the lease in the
 *       same transaction. No row lock outlives the claim: the lease, not a lock, marks the
 *       message as being delivered while the node talks to the next hop.
 *   <li>Instants are the callers' (the nodes' clocks, kept to the microsecond), not the
 *       database's: the nodes' clocks must agree to well within a lease.
 * </ul>
 *
 * <p>The URL's password is never logged; {@link #toString()} shows the URL with it masked.
 */
public final class PostgresQueueStore implements QueueStore {

    private static final Logger log = LoggerFactory.getLogger(PostgresQueueStore.class);

    /** Connections per store: enough for the runner's workers and the enqueues of a busy node, small for the database. */
    static final int POOL_SIZE = 8;

    /** bytea tops out at 1 GB; a message above this is refused at once (the SIZE limit is far lower). */
    static final long MAX_CONTENT = 512L << 20;

    private static final String PENDING = "('QUEUED', 'DEFERRED')";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PostgresUrl url;
    private final ConnectionPool pool;

    private PostgresQueueStore(PostgresUrl url, ConnectionPool pool) {
        this.url = url;
        this.pool = pool;
    }

    /**
     * Opens the queue in the database {@code spec} names, creating or migrating its tables.
     *
     * @param spec {@code postgresql://user:password@host:port/db?param=value} (libpq's form) or
     *     {@code jdbc:postgresql://host:port/db?user=...&password=...}; pgjdbc's parameters apply
     *     (for example {@code currentSchema=smtpkit} for a schema other than {@code public}, which
     *     must exist, or {@code sslmode=verify-full})
     * @throws IOException when the database cannot be reached or its schema is newer than this build
     */
    public static PostgresQueueStore connect(String spec) throws IOException {
        PostgresUrl url = PostgresUrl.parse(spec);
        ConnectionPool pool = new ConnectionPool(url, POOL_SIZE, Duration.ofSeconds(30));
        PostgresQueueStore store = new PostgresQueueStore(url, pool);
        try {
            Connection c = pool.take();
            boolean ok = false;
            try {
                Migrations.migrate(c);
                ok = true;
            } catch (SQLException e) {
                throw new IOException("queue " + url + ": cannot create or migrate its tables: " + e.getMessage(), e);
            } finally {
                pool.release(c, !ok);
            }
        } catch (IOException | RuntimeException e) {
            pool.close();
            throw e;
        }
        log.info("queue {}: opened", url);
        return store;
    }

    @Override
    public QueuedMessage enqueue(QueuedEnvelope envelope, InputStream content) throws IOException {
        QueuedEnvelope env = distinct(envelope);
        Instant arrival = Instant.now().truncatedTo(ChronoUnit.MICROS);
        // 40 random bits per millisecond: a clash between nodes is as good as impossible, and the
        // primary key turns one into a failed enqueue (451), never into two messages under one id
        String id = newId(arrival);
        long size = inTransaction(c -> {
            long n;
            try (PreparedStatement p = c.prepareStatement("INSERT INTO messages"
                    + " (id, arrival, sender, param_names, param_values, content, next_attempt)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING size")) {
                p.setString(1, id);
                p.setTimestamp(2, Timestamp.from(arrival));
                p.setString(3, env.sender());
                p.setArray(4, names(c, env.mailParameters()));
                p.setArray(5, values(c, env.mailParameters()));
                // pgjdbc spools a stream of unknown length to a temporary file past 50 KiB, not the heap
                p.setBinaryStream(6, content);
                p.setTimestamp(7, Timestamp.from(arrival));
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    n = r.getLong(1);
                }
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO recipients"
                    + " (message_id, position, address, param_names, param_values, state) VALUES (?, ?, ?, ?, ?, 'QUEUED')")) {
                int position = 0;
                for (QueuedEnvelope.Recipient r : env.recipients()) {
                    p.setString(1, id);
                    p.setInt(2, position++);
                    p.setString(3, r.address());
                    p.setArray(4, names(c, r.parameters()));
                    p.setArray(5, values(c, r.parameters()));
                    p.addBatch();
                }
                p.executeBatch();
            }
            return n;
        });
        List<RecipientState> recipients = new ArrayList<>();
        for (QueuedEnvelope.Recipient r : env.recipients()) {
            recipients.add(new RecipientState(r.address(), r.parameters(), State.QUEUED, null));
        }
        return new QueuedMessage(id, arrival, size, env.sender(), env.mailParameters(), recipients, 0, null, arrival, false);
    }

    @Override
    public List<QueuedMessage> claimDue(Instant now, int max, Duration lease, String owner) throws IOException {
        if (max <= 0) {
            return List.of(); // the runner looks with no worker free; nothing to ask the database
        }
        Instant at = micros(now);
        Instant until = micros(now.plus(lease));
        return inTransaction(c -> {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("UPDATE messages SET lease_owner = ?, lease_expiry = ?"
                    + " WHERE id IN (SELECT id FROM messages"
                    + "   WHERE NOT held AND next_attempt <= ? AND (lease_expiry IS NULL OR lease_expiry <= ?)"
                    + "   ORDER BY next_attempt, seq LIMIT ? FOR UPDATE SKIP LOCKED)"
                    + " RETURNING id")) {
                p.setString(1, owner);
                p.setTimestamp(2, Timestamp.from(until));
                p.setTimestamp(3, Timestamp.from(at));
                p.setTimestamp(4, Timestamp.from(at));
                p.setInt(5, max);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        ids.add(r.getString(1));
                    }
                }
            }
            return ids.isEmpty() ? List.<QueuedMessage>of() : load(c, ids, "next_attempt, seq");
        });
    }

    @Override
    public boolean renew(String id, String owner, Instant until) throws IOException {
        return update("UPDATE messages SET lease_expiry = ? WHERE id = ? AND lease_owner = ?",
                Timestamp.from(micros(until)), id, owner) == 1;
    }

    @Override
    public InputStream open(String id) throws IOException {
        byte[] content = inTransaction(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT content FROM messages WHERE id = ?")) {
                p.setString(1, id);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? r.getBytes(1) : null;
                }
            }
        });
        if (content == null) {
            throw new NoSuchElementException("no message " + id + " in the queue");
        }
        // pgjdbc reads a bytea whole whatever the API; within MAX_CONTENT that is one message's heap
        return new ByteArrayInputStream(content);
    }

    @Override
    public boolean recordAttempt(String id, String owner, List<RecipientOutcome> outcomes, Instant now, Instant nextAttempt)
            throws IOException {
        return inTransaction(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM messages WHERE id = ? AND lease_owner = ? FOR UPDATE")) {
                p.setString(1, id);
                p.setString(2, owner);
                try (ResultSet r = p.executeQuery()) {
                    if (!r.next()) {
                        return false;
                    }
                }
            }
            if (!outcomes.isEmpty()) {
                // a final state is final: an outcome for a recipient already delivered or failed changes nothing
                try (PreparedStatement p = c.prepareStatement("UPDATE recipients SET state = ?, last_reply = ?"
                        + " WHERE message_id = ? AND address = ? AND state IN " + PENDING)) {
                    for (RecipientOutcome o : outcomes) {
                        p.setString(1, stored(o.result()));
                        p.setString(2, o.reply());
                        p.setString(3, id);
                        p.setString(4, o.address());
                        p.addBatch();
                    }
                    p.executeBatch();
                }
            }
            boolean pending;
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT EXISTS (SELECT 1 FROM recipients WHERE message_id = ? AND state IN " + PENDING + ")")) {
                p.setString(1, id);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    pending = r.getBoolean(1);
                }
            }
            if (!pending) {
                try (PreparedStatement p = c.prepareStatement("DELETE FROM messages WHERE id = ?")) {
                    p.setString(1, id);
                    p.executeUpdate();
                }
                return true;
            }
            try (PreparedStatement p = c.prepareStatement("UPDATE messages SET attempts = attempts + 1, last_attempt = ?,"
                    + " next_attempt = ?, lease_owner = NULL, lease_expiry = NULL WHERE id = ?")) {
                p.setTimestamp(1, Timestamp.from(micros(now)));
                p.setTimestamp(2, Timestamp.from(micros(nextAttempt)));
                p.setString(3, id);
                p.executeUpdate();
            }
            return true;
        });
    }

    @Override
    public List<QueuedMessage> list() throws IOException {
        return inTransaction(c -> load(c, null, "arrival, seq"));
    }

    @Override
    public Optional<QueuedMessage> get(String id) throws IOException {
        List<QueuedMessage> one = inTransaction(c -> load(c, List.of(id), "seq"));
        return one.isEmpty() ? Optional.empty() : Optional.of(one.get(0));
    }

    @Override
    public int flush(Instant now) throws IOException {
        Timestamp at = Timestamp.from(micros(now));
        return inTransaction(c -> {
            // only rows not yet due are written (no dead tuples for the rest); every message not held counts
            try (PreparedStatement p = c.prepareStatement("WITH made_due AS ("
                    + " UPDATE messages SET next_attempt = ? WHERE NOT held AND next_attempt > ? RETURNING 1)"
                    + " SELECT count(*) FROM messages WHERE NOT held")) {
                p.setTimestamp(1, at);
                p.setTimestamp(2, at);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    return r.getInt(1);
                }
            }
        });
    }

    @Override
    public boolean delete(String id) throws IOException {
        return update("DELETE FROM messages WHERE id = ?", id) == 1;
    }

    @Override
    public boolean hold(String id) throws IOException {
        return update("UPDATE messages SET held = true WHERE id = ?", id) == 1;
    }

    @Override
    public boolean release(String id) throws IOException {
        // due at once, but never later than it already was
        return update("UPDATE messages SET held = false, next_attempt = LEAST(next_attempt, ?) WHERE id = ?",
                Timestamp.from(micros(Instant.now())), id) == 1;
    }

    /**
     * True below {@link #MAX_CONTENT}: PostgreSQL does not tell a client how full its disk is, so
     * the reserve is the database's to keep (a full disk fails the enqueue's commit, and the relay
     * answers 451 rather than 250).
     */
    @Override
    public boolean hasRoom(long size) {
        return size <= MAX_CONTENT;
    }

    /** Closes the connections; leases held run out and other nodes claim the messages. */
    @Override
    public void close() {
        pool.close();
    }

    /** The database's URL, its password masked. */
    @Override
    public String toString() {
        return "PostgresQueueStore[" + url + "]";
    }

    // ---- reading rows

    /** Messages and recipients read in one transaction: {@code ids} null for all, in {@code order}. */
    private static List<QueuedMessage> load(Connection c, List<String> ids, String order) throws SQLException {
        String where = ids == null ? "" : " WHERE id = ANY (?)";
        Map<String, Row> rows = new LinkedHashMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT id, arrival, size, sender, param_names, param_values,"
                + " attempts, last_attempt, next_attempt, held FROM messages" + where + " ORDER BY " + order)) {
            if (ids != null) {
                p.setArray(1, c.createArrayOf("text", ids.toArray()));
            }
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    Row row = new Row(r);
                    rows.put(row.id, row);
                }
            }
        }
        if (rows.isEmpty()) {
            return List.of();
        }
        try (PreparedStatement p = c.prepareStatement("SELECT message_id, address, param_names, param_values, state, last_reply"
                + " FROM recipients" + (ids == null ? "" : " WHERE message_id = ANY (?)") + " ORDER BY message_id, position")) {
            if (ids != null) {
                p.setArray(1, c.createArrayOf("text", ids.toArray()));
            }
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    Row row = rows.get(r.getString(1));
                    if (row == null) {
                        continue; // enqueued between the two reads (the default isolation is per statement)
                    }
                    State state = State.valueOf(r.getString(5));
                    if (row.held && !state.isFinal()) {
                        state = State.HELD;
                    }
                    row.recipients.add(new RecipientState(r.getString(2), parameters(r.getArray(3), r.getArray(4)), state, r.getString(6)));
                }
            }
        }
        List<QueuedMessage> out = new ArrayList<>(rows.size());
        for (Row row : rows.values()) {
            if (!row.recipients.isEmpty()) {
                out.add(row.snapshot());
            }
        }
        return out;
    }

    private static final class Row {
        final String id;
        final Instant arrival;
        final long size;
        final String sender;
        final Map<String, String> parameters;
        final int attempts;
        final Instant lastAttempt;
        final Instant nextAttempt;
        final boolean held;
        final List<RecipientState> recipients = new ArrayList<>();

        Row(ResultSet r) throws SQLException {
            id = r.getString(1);
            arrival = r.getTimestamp(2).toInstant();
            size = r.getLong(3);
            sender = r.getString(4);
            parameters = parameters(r.getArray(5), r.getArray(6));
            attempts = r.getInt(7);
            Timestamp last = r.getTimestamp(8);
            lastAttempt = last == null ? null : last.toInstant();
            nextAttempt = r.getTimestamp(9).toInstant();
            held = r.getBoolean(10);
        }

        QueuedMessage snapshot() {
            return new QueuedMessage(id, arrival, size, sender, parameters, recipients, attempts, lastAttempt, nextAttempt, held);
        }
    }

    private static Map<String, String> parameters(Array names, Array values) throws SQLException {
        String[] n = (String[]) names.getArray();
        String[] v = (String[]) values.getArray();
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < n.length; i++) {
            m.put(n[i], v[i]);
        }
        return m;
    }

    private static Array names(Connection c, Map<String, String> parameters) throws SQLException {
        return c.createArrayOf("text", parameters.keySet().toArray());
    }

    private static Array values(Connection c, Map<String, String> parameters) throws SQLException {
        return c.createArrayOf("text", parameters.values().toArray());
    }

    private static String stored(RecipientOutcome.Result result) {
        return switch (result) {
            case DELIVERED -> "DELIVERED";
            case DEFERRED -> "DEFERRED";
            case FAILED -> "FAILED";
        };
    }

    private static QueuedEnvelope distinct(QueuedEnvelope env) {
        Set<String> seen = new HashSet<>();
        List<QueuedEnvelope.Recipient> r = new ArrayList<>();
        for (QueuedEnvelope.Recipient x : env.recipients()) {
            if (seen.add(x.address())) {
                r.add(x);
            }
        }
        return r.size() == env.recipients().size() ? env : new QueuedEnvelope(env.sender(), env.mailParameters(), r);
    }

    /** Time first, so ids sort by arrival in a listing; 40 random bits keep the nodes' ids apart without coordination. */
    private static String newId(Instant arrival) {
        return String.format("%011X%010X", arrival.toEpochMilli(), RANDOM.nextLong() & 0xFF_FFFF_FFFFL);
    }

    private static Instant micros(Instant i) {
        return i.truncatedTo(ChronoUnit.MICROS);
    }

    // ---- transactions

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private int update(String sql, Object... args) throws IOException {
        return inTransaction(c -> {
            try (PreparedStatement p = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    p.setObject(i + 1, args[i]);
                }
                return p.executeUpdate();
            }
        });
    }

    /** Runs {@code work} in one transaction on a pooled connection and commits; any failure rolls it back. */
    private <T> T inTransaction(Work<T> work) throws IOException {
        Connection c = pool.take();
        boolean broken = false;
        try {
            c.setAutoCommit(false);
            T result = work.run(c);
            c.commit();
            return result;
        } catch (SQLException e) {
            broken = brokenConnection(e) || !rollback(c);
            throw new IOException("queue " + url + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            broken = !rollback(c);
            throw e;
        } finally {
            try {
                if (!broken) {
                    c.setAutoCommit(true);
                }
            } catch (SQLException e) {
                broken = true;
            }
            pool.release(c, broken);
        }
    }

    /** SQLSTATE class 08 (connection exception), or 57P (the server shutting down): the connection is gone. */
    private static boolean brokenConnection(SQLException e) {
        String state = e.getSQLState();
        return state == null || state.startsWith("08") || state.startsWith("57P");
    }

    private static boolean rollback(Connection c) {
        try {
            c.rollback();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }
}
