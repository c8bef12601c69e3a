package io.smtpkit.server;

/**
 * Checks the credentials a client gives with AUTH PLAIN or AUTH LOGIN (RFC 4954). Called on a
 * worker thread, never on the I/O thread, so it may block; it must be thread-safe.
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
