/**
 * The relay queue in PostgreSQL, shared by several smtpkit nodes (issue 11):
 * {@link io.smtpkit.queue.postgres.PostgresQueueStore}, an {@code io.smtpkit.relay.queue.QueueStore}
 * opened by {@link io.smtpkit.queue.postgres.PostgresQueueStoreFactory} for
 * {@code postgresql://} queue specs. The tables are created and migrated by the store itself.
 */
package io.smtpkit.queue.postgres;
