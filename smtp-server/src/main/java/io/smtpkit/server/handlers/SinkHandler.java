package io.smtpkit.server.handlers;

import com.google.auto.service.AutoService;
import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.Reply;
import io.smtpkit.server.HandlerOptions;
import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import java.util.Map;

/**
 * Accepts every message and throws it away (aiosmtpd's {@code Sink}): for load tests, and for
 * measuring the server without any storage cost. It never blocks, so the server answers it on
 * its event loop ({@link SmtpHandler.NonBlocking}).
 */
public final class SinkHandler implements SmtpHandler, SmtpHandler.NonBlocking {

    @Override
    public Reply onMessage(SessionContext session, Envelope envelope, Message message) {
        return null;
    }

    /** Registers {@code sink}. */
    @AutoService(HandlerProvider.class)
    public static final class Provider implements HandlerProvider {
        @Override
        public String name() {
            return "sink";
        }

        @Override
        public String description() {
            return "accepts every message and discards it (for load tests)";
        }

        @Override
        public SmtpHandler create(Map<String, String> options) {
            HandlerOptions.of(name(), options, options().keySet());
            return new SinkHandler();
        }
    }
}
