/**
 * The SMTP and LMTP client without I/O: a {@link io.smtpkit.protocol.client.ClientSession} takes
 * the bytes a server sent and produces the bytes to send and {@link
 * io.smtpkit.protocol.client.ClientEvent}s for its owner, the transport, to act on. It is the
 * server side's {@code SmtpSession} with the roles swapped (one role object, bytes in, bytes and
 * events out, no socket, thread or clock; a misbehaving server is an outcome, never an exception).
 *
 * <p>One session carries out RFC 5321 §3 with EHLO (HELO when EHLO is refused), LHLO (RFC 2033),
 * STARTTLS (RFC 3207), AUTH PLAIN and LOGIN (RFC 4954, RFC 4616), PIPELINING (RFC 2920), SIZE
 * (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), CHUNKING and BINARYMIME (RFC 3030) and
 * DSN parameters (RFC 3461). What each transaction came to is a {@link
 * io.smtpkit.protocol.client.TransactionResult}: the server's verdict per recipient.
 */
package io.smtpkit.protocol.client;
