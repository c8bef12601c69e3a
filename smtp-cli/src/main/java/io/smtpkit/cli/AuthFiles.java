package io.smtpkit.cli;

import io.smtpkit.server.Authenticator;
import java.nio.file.Path;

/** Loads --auth-file. */
final class AuthFiles {

    private AuthFiles() {}

    static Authenticator load(Path file) throws UsageError {
        // TODO wire io.smtpkit.server.FileAuthenticator.load(Path) once the server branch has it.
        throw new UsageError("--auth-file is not supported by this build yet");
    }
}
