package io.smtpkit.server.internal;

import io.smtpkit.protocol.MailPath;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import java.util.Map;

/**
 * Which optional hooks a handler overrides, found once by reflection. A hook left to
 * {@link SmtpHandler}'s default answers "default" at once, so the event loop answers it itself
 * instead of paying a round trip through the executor (the sink path stays fast).
 */
final class Hooks {

    final boolean connect;
    final boolean hello;
    final boolean mail;
    final boolean rcpt;
    final boolean close;
    /** The handler promised {@link SmtpHandler.NonBlocking}: its hooks may run on the event loop. */
    final boolean inline;

    Hooks(SmtpHandler handler) {
        Class<?> type = handler.getClass();
        connect = overrides(type, "onConnect", SessionContext.class);
        hello = overrides(type, "onHello", SessionContext.class, String.class, boolean.class);
        mail = overrides(type, "onMail", SessionContext.class, MailPath.class, Map.class);
        rcpt = overrides(type, "onRcpt", SessionContext.class, MailPath.class, Map.class);
        close = overrides(type, "onClose", SessionContext.class);
        inline = handler instanceof SmtpHandler.NonBlocking;
    }

    private static boolean overrides(Class<?> type, String name, Class<?>... parameters) {
        try {
            return type.getMethod(name, parameters).getDeclaringClass() != SmtpHandler.class;
        } catch (NoSuchMethodException | SecurityException e) {
            return true; // when in doubt, call it
        } catch (LinkageError e) {
            // A method of the handler names a class that is absent (a Metered handler without
            // Micrometer): reflection cannot list its methods. Call every hook.
            return true;
        }
    }
}
