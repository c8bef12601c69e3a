package io.smtpkit.server;

/**
 * Checks the credentials a client gives with AUTH PLAIN or AUTH LOGIN (RFC 4954). Called on one of
 * the server's {@linkplain SmtpServer.Builder#authenticatorThreads(int) authenticator threads},
 * never on the I/O thread or the hook executor, so it may block; it must be thread-safe.
 */
@FunctionalInterface
public interface Authenticator {

    /**
     * @param username the authentication identity the client sent
     * @param password the password; never log it
     * @return true to accept
     */
    boolean authenticate(String username, String password) throws Exception;
}
