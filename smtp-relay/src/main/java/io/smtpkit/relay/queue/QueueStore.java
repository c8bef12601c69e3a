package io.smtpkit.relay.queue;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * Where a relay queue keeps its messages: the durable part of store and forward (RFC 5321 §6.1:
 * a message answered with 250 must not be lost because the host crashes). The relay handler
 * enqueues, the {@code QueueRunner} claims what is due and records what each recipient's attempt
 * came to, and the {@code queue} command lists, flushes, deletes, holds and releases. Two
 * implementations come with smtpkit: {@link DiskQueueStore} (one directory, the default) and a
 * PostgreSQL store shared by several nodes, found through {@link QueueStoreFactory}; a user may
 * plug in another one, which should pass the contract tests in {@code QueueStoreContract}
 * (smtp-relay's test-jar).
 *
 * <p>The rules every store keeps:
 * <ul>
 *   <li>{@link #enqueue} returns only once the content and the envelope survive a crash of the
 *       process and of the machine; before that point nothing of the message is ever handed out.
 *   <li>A claim is a lease: a claimed message is handed to no other owner until the lease ends
 *       ({@link #renew} extends it) or the owner records an attempt. A lease that ran out without
 *       a record makes the message due again: a delivery may happen twice, never zero times.
 *   <li>Each recipient has its own state; a message leaves the store when none of its recipients
 *       is left to try ({@link RecipientState.State#isFinal}).
 *   <li>Every value handed out is an immutable snapshot.
 *   <li>Methods are safe to call from several threads at once.
 * </ul>
 */
public interface QueueStore extends AutoCloseable {

    /**
     * Stores a new message, due at once; returns when it is durable (the moment a relay may
     * answer 250). Recipients that occur twice in the envelope are stored once.
     *
     * @param envelope the reverse path, the recipients and their parameters
     * @param content the message octets, read to the end (not closed)
     * @return the stored message, every recipient {@link RecipientState.State#QUEUED}
     */
    QueuedMessage enqueue(QueuedEnvelope envelope, InputStream content) throws IOException;

    /**
     * Claims up to {@code max} messages that are due at {@code now}: not held, not leased by
     * anyone (or their lease ended before {@code now}), with a recipient left to try and a next
     * attempt at or before {@code now}. Each is leased to {@code owner} until {@code now + lease}.
     *
     * @return the claimed messages, oldest next attempt first; empty when nothing is due
     */
    List<QueuedMessage> claimDue(Instant now, int max, Duration lease, String owner) throws IOException;

    /**
     * Extends {@code owner}'s lease on a message to {@code until}.
     *
     * @return false when {@code owner} no longer holds the lease (it ran out and someone else
     *     claimed the message, or the message was deleted): the owner should stop and record nothing
     */
    boolean renew(String id, String owner, Instant until) throws IOException;

    /**
     * The message's octets, exactly as enqueued.
     *
     * @throws NoSuchElementException when no message has this id
     */
    InputStream open(String id) throws IOException;

    /**
     * Records what one delivery attempt came to and ends {@code owner}'s lease. Recipients not
     * named in {@code outcomes} keep their state. A deferred recipient is tried again at
     * {@code nextAttempt}. When no recipient is left to try the message is removed.
     *
     * @param now when the attempt was made (becomes {@link QueuedMessage#lastAttempt})
     * @return false (and nothing recorded) when {@code owner} does not hold the lease
     */
    boolean recordAttempt(String id, String owner, List<RecipientOutcome> outcomes, Instant now, Instant nextAttempt)
            throws IOException;

    /** A snapshot of every message, oldest arrival first. */
    List<QueuedMessage> list() throws IOException;

    /** A snapshot of one message, or empty when no message has this id. */
    Optional<QueuedMessage> get(String id) throws IOException;

    /**
     * Makes every message that is not held due at {@code now} ({@code postqueue -f}).
     *
     * @return how many messages were made due
     */
    int flush(Instant now) throws IOException;

    /** Removes a message whatever its state ({@code postsuper -d}); false when there was none. */
    boolean delete(String id) throws IOException;

    /** Keeps a message from being claimed until {@link #release} ({@code postsuper -h}); false when there was none. */
    boolean hold(String id) throws IOException;

    /** Makes a held message due again at once ({@code postsuper -H}); false when there was none. */
    boolean release(String id) throws IOException;

    /**
     * Whether a message of {@code size} octets fits and still leaves the store's reserve free; a
     * relay answers {@code 452 4.3.1} when not, rather than writing a queue it cannot finish.
     */
    boolean hasRoom(long size) throws IOException;

    /** Ends this process's use of the store; leases it held run out. */
    @Override
    void close() throws IOException;
}
