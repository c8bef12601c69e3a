package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.CommandExtension;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.protocol.SessionInfo;
import io.smtpkit.server.testsupport.SmtpClient;
import org.junit.jupiter.api.Test;

/** A {@link CommandExtension} over a real socket: advertised, answered, and a broken one contained. */
class CommandExtensionTest {

    /** XECHO ARG answers 250 with ARG; advertised in EHLO. */
    private static final CommandExtension ECHO = new CommandExtension() {
        @Override public String verb() { return "XECHO"; }
        @Override public String ehloKeyword() { return "XECHO"; }
        @Override public Reply handle(String argument, SessionInfo session) {
            return Reply.of(250, "2.0.0", "echo " + argument);
        }
    };

    private static CommandExtension broken(String verb, boolean returnsNull) {
        return new CommandExtension() {
            @Override public String verb() { return verb; }
            @Override public Reply handle(String argument, SessionInfo session) {
                if (returnsNull) {
                    return null;
                }
                throw new IllegalStateException("extension failed");
            }
        };
    }

    private static SmtpServer start(CommandExtension... extensions) throws Exception {
        SessionConfig.Builder config = SessionConfig.builder();
        for (CommandExtension extension : extensions) {
            config.extension(extension);
        }
        return server(new TestSupport.Capture()).config(config.build()).build().start();
    }

    @Test
    void anExtensionIsAdvertisedAndAnswersOverTheSocket() throws Exception {
        try (SmtpServer server = start(ECHO); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            String ehlo = c.command("EHLO x.example");
            assertTrue(ehlo.lines().anyMatch(l -> l.substring(4).equals("XECHO")), ehlo);
            assertEquals("250 2.0.0 echo hello there", c.command("xecho hello there"));
            assertTrue(c.command("NOOP").startsWith("250"), "the session goes on");
        }
    }

    @Test
    void anExtensionThatReturnsNullOrThrowsGetsTheClientAnErrorReply() throws Exception {
        try (SmtpServer server = start(broken("XNULL", true), broken("XTHROW", false));
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            assertTrue(c.command("XNULL").startsWith("451"), "null reply");
            assertTrue(c.command("XTHROW").startsWith("451"), "thrown exception");
            assertTrue(c.command("NOOP").startsWith("250"), "the session goes on");
        }
    }
}
