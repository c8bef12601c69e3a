/**
 * Relay handlers. {@link io.smtpkit.relay.RelayHandler} ({@code -c relay}, smtpd's
 * {@code PureProxy}) relays mail to a next hop while its client waits, answering each command
 * with the next hop's own reply, and is never an open relay by default. Its settings are a
 * {@link io.smtpkit.relay.RelayConfig}; {@link io.smtpkit.relay.RelayProvider} makes one from
 * {@code -o} options. {@link io.smtpkit.relay.LmtpHandler} ({@code -c lmtp}, smtpd's
 * {@code MailmanProxy}) sends the recipients its {@link io.smtpkit.relay.MailingLists} claim
 * over LMTP to Mailman 3 and relays the rest as the relay does. The connections to next hops
 * ({@code internal.Upstream}) drive the sans-IO {@code io.smtpkit.protocol.client.ClientSession}
 * over blocking sockets on the hook workers.
 */
package io.smtpkit.relay;
