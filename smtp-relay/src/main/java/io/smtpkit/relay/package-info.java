/**
 * Relay handlers: {@code relay} forwards mail to an upstream SMTP server (Python smtpd's
 * PureProxy) and {@code lmtp} hands list mail to an LMTP server (smtpd's MailmanProxy).
 *
 * <p>Not built yet: this module is a placeholder in the reactor so the dependency order
 * protocol ← server ← relay ← cli is fixed from the start.
 */
package io.smtpkit.relay;
