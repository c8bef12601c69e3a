package io.smtpkit.queue.postgres.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A few JDBC connections shared by the threads of one store. The store's transactions are short
 * (a claim, a record, an enqueue) and never span a conversation with a next hop, so a handful of
 * connections serve many workers, and a plain {@link DriverManager} pool of this size needs no
 * library in the shaded jar (HikariCP's strengths, metrics and tuned validation, matter for pools
 * of hundreds, not for eight).
 *
 * <p>A connection is taken for one transaction and given back. One that failed with a connection
 * error is closed instead of returned; one idle past {@link #VALIDATE_AFTER} is checked first,
 * so a database restart costs no failed transaction once the server is back.
 */
public final class ConnectionPool implements AutoCloseable {

    static final Duration VALIDATE_AFTER = Duration.ofSeconds(30);

    private record Idle(Connection connection, long since) {}

    private final PostgresUrl url;
    private final Semaphore permits;
    private final Duration wait;
    private final Deque<Idle> idle = new ArrayDeque<>();
    private boolean closed;

    public ConnectionPool(PostgresUrl url, int size, Duration wait) {
        this.url = url;
        this.permits = new Semaphore(size, true);
        this.wait = wait;
    }

    /** A connection in auto-commit, for one unit of work; give it back with {@link #release}. */
    public Connection take() throws IOException {
        try {
            if (!permits.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("no connection to " + url + " free within " + wait);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for a connection to " + url);
        }
        try {
            while (true) {
                Idle i;
                synchronized (this) {
                    if (closed) {
                        throw new IOException("the queue store " + url + " is closed");
                    }
                    i = idle.pollFirst();
                }
                if (i == null) {
                    return connect();
                }
                if (System.nanoTime() - i.since() < VALIDATE_AFTER.toNanos() || i.connection().isValid(5)) {
                    return i.connection();
                }
                quietlyClose(i.connection());
            }
        } catch (IOException | SQLException | RuntimeException e) {
            permits.release();
            throw e instanceof IOException io ? io : new IOException("cannot connect to " + url + ": " + e.getMessage(), e);
        }
    }

    /** Gives {@code c} back, or closes it when {@code broken} (its last statement failed on the connection). */
    public void release(Connection c, boolean broken) {
        boolean keep = !broken;
        synchronized (this) {
            if (closed) {
                keep = false;
            } else if (keep) {
                idle.addFirst(new Idle(c, System.nanoTime())); // the most recent first: the rest may age out
            }
        }
        if (!keep) {
            quietlyClose(c);
        }
        permits.release();
    }

    private Connection connect() throws SQLException {
        Properties p = url.properties();
        p.setProperty("ApplicationName", "smtpkit queue");
        // A queue is useless without its database: fail a transaction rather than hang a worker.
        p.putIfAbsent("connectTimeout", "10");
        p.putIfAbsent("socketTimeout", "60");
        p.putIfAbsent("tcpKeepAlive", "true");
        return DriverManager.getConnection(url.jdbcUrl(), p);
    }

    /** Closes the idle connections; those taken are closed as they come back. */
    @Override
    public void close() {
        List<Idle> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(idle);
            idle.clear();
        }
        for (Idle i : all) {
            quietlyClose(i.connection());
        }
    }

    private static void quietlyClose(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // it is being thrown away: a failure to close it changes nothing
        }
    }
}
