package io.smtpkit.server.internal;

import java.time.Duration;

/**
 * How AUTH is rationed, from {@link io.smtpkit.server.SmtpServer.Builder}; see {@link AuthGuard}.
 * Not API.
 *
 * @param failureDelay how long the answer to a failed check is held back; zero for none
 * @param maxConcurrentPerClient AUTH exchanges in check or in failure delay per client; 0 for no limit
 * @param maxFailuresPerClient failed AUTH per client per minute; 0 for no limit
 * @param threads the password-check threads
 */
public record AuthLimits(Duration failureDelay, int maxConcurrentPerClient, int maxFailuresPerClient, int threads) {}
