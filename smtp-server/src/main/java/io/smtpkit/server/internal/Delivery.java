package io.smtpkit.server.internal;

import io.smtpkit.protocol.Decision;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionInfo;
import io.smtpkit.protocol.SmtpSession;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.ZonedDateTime;
import java.util.Collections;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;

/**
 * One connection's message hand-off: content goes into its {@link Spool} as it arrives, and the
 * finished message reaches the handler's {@code onMessagePerRecipient} (by default its
 * {@code onMessage}, one answer for all), from memory or from the spool file
 * after the file's last write, through the connection's {@link HookDispatcher}; a spool that
 * failed is answered {@code 452 4.3.1}. Runs on the event loop, the file work on the spool's
 * lane. Not API.
 */
final class Delivery {

    private static final Logger log = Transport.log;
    static final Reply STORAGE_FAILED = Reply.of(452, "4.3.1", "Error: insufficient system storage");

    private final Loop loop;
    private final SessionContext context;
    private final SmtpSession session;
    private final HookDispatcher hooks;
    /** Runs on the loop when the spool's writes have caught up. */
    private final Runnable drained;
    /** Null until the first content arrives. */
    private Spool spool;
    private int messages;

    Delivery(Loop loop, SessionContext context, SmtpSession session, HookDispatcher hooks, Runnable drained) {
        this.loop = loop;
        this.context = context;
        this.session = session;
        this.hooks = hooks;
        this.drained = drained;
    }

    /** Content from the session, a view of a loop buffer. */
    void write(ByteBuffer chunk) {
        spool().write(chunk);
    }

    /** The transaction's content is not wanted (refused, reset or lost). */
    void discard() {
        if (spool != null) {
            spool.discard();
        }
    }

    /** True while the spool's file writes lag behind: the connection reads no content meanwhile. */
    boolean backlogged() {
        return spool != null && spool.backlogged();
    }

    /** Hands a received message to the handler's onMessage, from memory or from its spool file. */
    void deliver(Decision.Message m) {
        Spool.Finished finished = finish(m);
        SmtpHandler handler = loop.settings().handler;
        String id = context.id();
        if (finished instanceof Spool.InMemory inMemory) {
            SpooledMessage content = inMemory.message();
            hooks.runMessage(m, () -> handler.onMessagePerRecipient(context, m.envelope(), content), content, hooks.where());
        } else if (finished instanceof Spool.OnFile onFile) {
            // On the spool's lane, after its last write: close the file, run the handler,
            // delete the file.
            hooks.runMessage(m, () -> {
                SpooledMessage content;
                try {
                    content = onFile.file().finish(onFile.header(), onFile.size());
                } catch (IOException e) {
                    log.warn("[{}] cannot spool message: {}", id, Printable.of(e));
                    return Collections.nCopies(m.envelope().recipients().size(), STORAGE_FAILED);
                }
                try {
                    return handler.onMessagePerRecipient(context, m.envelope(), content);
                } finally {
                    content.delete();
                }
            }, null, task -> {
                try {
                    onFile.lane().submit(task);
                } catch (RejectedExecutionException e) {
                    onFile.file().delete(); // nothing runs on the lane any more
                    throw e;
                }
            });
        } else {
            log.warn("[{}] cannot spool message: the executor refused the writes", id);
            if (loop.settings().metrics != null && context instanceof Connection connection) {
                connection.messageEnded(false);
            }
            session.resume(STORAGE_FAILED);
        }
    }

    private Spool.Finished finish(Decision.Message m) {
        messages++;
        byte[] header = new byte[0];
        SessionInfo view = context.protocol();
        if (loop.settings().receivedHeader) {
            InetAddress client = context.remoteAddress().getAddress();
            header = ReceivedHeader.build(view, client, loop.traceId(context.id(), messages), m.envelope(), ZonedDateTime.now());
        }
        Spool.Finished finished = spool().finish(header);
        if (finished instanceof Spool.OnFile && loop.settings().metrics != null) {
            loop.settings().metrics.spooledToFile();
        }
        log.debug("[{}] message {} of {} octets from {} to {} recipient(s){}", context.id(), messages, m.size(),
                Printable.of(m.envelope().reversePath()), m.envelope().recipients().size(),
                finished instanceof Spool.OnFile ? ", spooled" : "");
        return finished;
    }

    private Spool spool() {
        if (spool == null) {
            ServerSettings settings = loop.settings();
            spool = new Spool(settings.spoolThreshold, settings.spoolDirectory, loop.limits().spoolMemory,
                    loop.executor(), () -> loop.execute(drained));
        }
        return spool;
    }
}
