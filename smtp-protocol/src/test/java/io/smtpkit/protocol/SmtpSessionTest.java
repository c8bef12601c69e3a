package io.smtpkit.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.transcript.RecordingOutput;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What transcripts cannot show: the contents of decisions and envelopes, what the session tells
 * handlers, command extensions, and the rules of the driving API.
 */
class SmtpSessionTest {

    private final RecordingOutput out = new RecordingOutput();

    private SmtpSession started(SessionConfig config) {
        SmtpSession session = new SmtpSession(config, out);
        session.start();
        session.resume(null);
        return session;
    }

    /** Feeds text and answers every decision with the default, recording it first. */
    private void send(SmtpSession session, String text) {
        ByteBuffer in = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (in.hasRemaining() && !session.isClosed() && session.state() != SessionState.TLS) {
            session.receive(in);
            if (session.awaiting() != null) {
                out.decided(session.awaiting());
                session.resume(null);
            }
        }
    }

    @Test
    void decisionsCarryParsedPathsAndParameters() {
        SmtpSession session = started(SessionConfig.builder().dsn(true).smtpUtf8(true).build());
        send(session, "EHLO client.example\r\n");
        assertEquals(new Decision.Hello("client.example", true), out.lastDecision());
        send(session, "MAIL FROM:<@hop.example,@[192.0.2.1]:jösé@example.org> size=10 Body=8BITMIME SMTPUTF8 ENVID=x+2By\r\n");
        Map<String, String> mailParams = new LinkedHashMap<>();
        mailParams.put("SIZE", "10");
        mailParams.put("BODY", "8BITMIME");
        mailParams.put("SMTPUTF8", null);
        mailParams.put("ENVID", "x+2By");
        assertEquals(new Decision.Mail(new MailPath("jösé", "example.org"), mailParams), out.lastDecision());
        assertEquals(List.copyOf(mailParams.keySet()), List.copyOf(((Decision.Mail) out.lastDecision()).parameters().keySet()), "order kept");
        send(session, "RCPT TO:<\"b b\"@[IPv6:2001:db8::1]> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b@example.org\r\n");
        assertEquals(new Decision.Rcpt(new MailPath("\"b b\"", "[IPv6:2001:db8::1]"),
                Map.of("NOTIFY", "SUCCESS,DELAY", "ORCPT", "rfc822;b@example.org")), out.lastDecision());
        send(session, "RCPT TO:<refused@example.org>\r\n");
        session.receive(ByteBuffer.allocate(0));
        // Refuse the next recipient by hand.
        ByteBuffer in = ByteBuffer.wrap("RCPT TO:<no@example.org>\r\nDATA\r\nhi\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
        session.receive(in);
        session.resume(Reply.MAILBOX_UNAVAILABLE);
        session.receive(in);

        Decision.Message message = (Decision.Message) session.awaiting();
        Envelope envelope = message.envelope();
        assertEquals(4, message.size());
        assertEquals("hi\r\n", out.contentText());
        assertEquals(new MailPath("jösé", "example.org"), envelope.reversePath());
        assertEquals(List.of("\"b b\"@[IPv6:2001:db8::1]", "refused@example.org"), envelope.recipientAddresses());
        assertEquals(BodyType.EIGHT_BIT_MIME, envelope.bodyType());
        assertTrue(envelope.smtpUtf8());
        assertEquals(List.of("SIZE=10", "BODY=8BITMIME", "SMTPUTF8", "ENVID=x+2By"), envelope.mailOptions());
        assertEquals(List.of("NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;b@example.org"), envelope.rcptOptions());
        assertEquals(envelope, session.envelope());
        assertEquals(2, session.recipients().size());
        session.resume(null);
        assertNull(session.envelope());
        assertNull(session.reversePath());
        assertEquals(List.of(), session.recipients());
        assertEquals(SessionState.GREETED, session.state());
    }

    /**
     * RFC 4954 §5: unless the client has authenticated, the server MUST behave as if AUTH=<> was
     * given, so a handler that relays never passes on a submitter the client merely claimed.
     */
    @Test
    void theAuthMailParameterOfAnUnauthenticatedClientIsEmpty() {
        SmtpSession session = started(SessionConfig.builder().authentication(true).allowInsecureAuth(true).build());
        send(session, "EHLO client.example\r\n");
        session.receive(ByteBuffer.wrap("MAIL FROM:<a@example.org> AUTH=boss@example.org\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(Map.of("AUTH", "<>"), ((Decision.Mail) session.awaiting()).parameters());
        session.resume(null);
        send(session, "RSET\r\n");
        session.receive(ByteBuffer.wrap("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n".getBytes(StandardCharsets.US_ASCII)));
        session.resume(Reply.AUTHENTICATION_SUCCEEDED);
        assertEquals("alice", session.authenticatedUser());
        session.receive(ByteBuffer.wrap("MAIL FROM:<a@example.org> AUTH=boss@example.org\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(Map.of("AUTH", "boss@example.org"), ((Decision.Mail) session.awaiting()).parameters(),
                "an authenticated client's AUTH= is the handler's to trust or not");
    }

    @Test
    void authenticationDecisionsAndIdentity() {
        SmtpSession session = started(SessionConfig.builder().authentication(true).allowInsecureAuth(true).build());
        send(session, "EHLO client.example\r\n");
        session.receive(ByteBuffer.wrap("AUTH PLAIN YWRtaW4AYWxpY2UAc2VjcmV0\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(new Decision.Authenticate("PLAIN", "admin", "alice", "secret"), session.awaiting());
        assertFalse(session.awaiting().toString().contains("secret"), "the password stays out of logs");
        session.resume(null);
        assertNull(session.authenticatedUser());
        session.receive(ByteBuffer.wrap("AUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(new Decision.Authenticate("LOGIN", "", "alice", "secret"), session.awaiting());
        session.resume(Reply.AUTHENTICATION_SUCCEEDED);
        assertEquals("alice", session.authenticatedUser());
        assertEquals(SessionState.GREETED, session.state());
    }

    @Test
    void sessionInfoFollowsTheConversation() {
        SmtpSession session = started(SessionConfig.builder().startTls(true).build());
        assertEquals(SessionState.CONNECTED, session.state());
        assertNull(session.heloName());
        send(session, "HELO a.example\r\n");
        assertEquals("a.example", session.heloName());
        assertFalse(session.isExtended());
        send(session, "EHLO b.example\r\nSTARTTLS\r\n");
        assertEquals(SessionState.TLS, session.state());
        assertFalse(session.isSecure());
        session.tlsStarted(true);
        assertTrue(session.isSecure());
        assertNull(session.heloName(), "forgotten after STARTTLS (RFC 3207 §4.2)");
        assertFalse(session.isExtended());
        assertEquals(SessionState.CONNECTED, session.state());
    }

    @Test
    void commandExtensionsAddAndReplaceVerbs() {
        List<String> seen = new ArrayList<>();
        CommandExtension xclient = new CommandExtension() {
            @Override public String verb() { return "XCLIENT"; }
            @Override public String ehloKeyword() { return "XCLIENT NAME ADDR"; }
            @Override public Reply handle(String argument, SessionInfo info) {
                seen.add(argument + "|" + info.heloName());
                return Reply.of(220, "2.0.0", "fine");
            }
        };
        CommandExtension vrfy = new CommandExtension() {
            @Override public String verb() { return "vrfy"; }
            @Override public Reply handle(String argument, SessionInfo info) { return Reply.of(250, "2.1.5", "<" + argument + ">"); }
        };
        SmtpSession session = started(SessionConfig.builder().extension(xclient).extension(vrfy).build());
        send(session, "EHLO c.example\r\n");
        assertTrue(out.replies().contains("250-XCLIENT NAME ADDR\r\n"));
        send(session, "xclient NAME=x ADDR=192.0.2.1\r\n");
        assertEquals("220 2.0.0 fine", out.lastReply());
        assertEquals(List.of("NAME=x ADDR=192.0.2.1|c.example"), seen);
        send(session, "VRFY bob\r\n");
        assertEquals("250 2.1.5 <bob>", out.lastReply());
        send(session, "HELP\r\n");
        assertTrue(out.lastReply().contains(" XCLIENT"), out.lastReply());
    }

    @Test
    void anExtensionsFourTwentyOneClosesTheSession() {
        CommandExtension bye = new CommandExtension() {
            @Override public String verb() { return "XBYE"; }
            @Override public Reply handle(String argument, SessionInfo info) { return Reply.of(421, "4.3.2", "going away"); }
        };
        SmtpSession session = started(SessionConfig.builder().extension(bye).build());
        send(session, "XBYE\r\nNOOP\r\n");
        assertEquals("421 going away", out.lastReply());
        assertTrue(session.isClosed());
        assertEquals(1, out.closes());
    }

    @Test
    void drivingRules() {
        SmtpSession session = new SmtpSession(SessionConfig.builder().build(), out);
        session.start();
        assertThrows(IllegalStateException.class, session::start);
        assertEquals(new Decision.Connect(), session.awaiting());
        ByteBuffer in = ByteBuffer.wrap("EHLO x\r\n".getBytes(StandardCharsets.US_ASCII));
        session.receive(in);
        assertEquals(0, in.position(), "nothing is read while a decision is pending");
        session.resume(null);
        assertThrows(IllegalStateException.class, () -> session.resume(null));
        assertThrows(IllegalStateException.class, () -> session.tlsStarted(true));
        session.receive(in);
        assertEquals(8, in.position(), "paused for Hello after its line");
        session.resume(null);
        session.terminate(Reply.SHUTTING_DOWN);
        assertEquals("421 4.3.2 Service shutting down, closing transmission channel", out.lastReply());
        assertEquals(1, out.closes());
        session.terminate(Reply.SHUTTING_DOWN);
        session.timeout();
        assertEquals(1, out.closes(), "closing twice does nothing");
        in = ByteBuffer.wrap("NOOP\r\n".getBytes(StandardCharsets.US_ASCII));
        session.receive(in);
        assertEquals(0, in.position(), "a closed session reads nothing");
    }

    @Test
    void aLateAnswerToAClosedSessionIsIgnored() {
        // A handler may still be running when the connection drops; its answer must not blow up
        // the transport, whichever way the session was closed.
        for (int way = 0; way < 2; way++) {
            RecordingOutput recorder = new RecordingOutput();
            SmtpSession session = new SmtpSession(SessionConfig.builder().build(), recorder);
            session.start();
            session.resume(null);
            session.receive(ByteBuffer.wrap("EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)));
            assertTrue(session.awaiting() instanceof Decision.Hello);
            if (way == 0) {
                session.connectionLost();
            } else {
                session.timeout();
            }
            assertTrue(session.isClosed());
            session.resume(null);
            assertTrue(session.isClosed());
            assertNull(session.awaiting());
        }
    }

    @Test
    void contentOfALostConnectionIsDiscarded() {
        SmtpSession session = started(SessionConfig.builder().build());
        send(session, "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\npartial\r\n");
        assertEquals("partial\r\n", out.contentText());
        session.connectionLost();
        assertEquals(1, out.discards());
        assertEquals(0, out.closes(), "the connection is already gone: nothing to close");
        assertTrue(session.isClosed());
    }

    @Test
    void contentAfterAnAcceptedMessageIsNotDiscarded() {
        SmtpSession session = started(SessionConfig.builder().build());
        send(session, "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nm\r\n.\r\nQUIT\r\n");
        assertEquals(0, out.discards());
        assertEquals("m\r\n", out.contentText());
    }

    /**
     * RFC 3030 §2 and RFC 1870: a chunk far past the size limit, and past 2^31 octets, is read
     * through and dropped without being handed out or held; then 552 and the session goes on.
     */
    @Test
    void aHugeChunkIsReadThroughWithoutKeepingIt() {
        SmtpSession session = started(SessionConfig.builder().maxMessageSize(10).build());
        send(session, "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 3000000000 LAST\r\n");
        ByteBuffer block = ByteBuffer.allocate(1 << 20);
        for (long left = 3_000_000_000L; left > 0; left -= block.capacity()) {
            block.clear().limit((int) Math.min(block.capacity(), left));
            session.receive(block);
            assertFalse(block.hasRemaining(), "every chunk octet is consumed");
        }
        assertEquals(0, out.content().length);
        assertTrue(session.awaiting() == null && !session.isClosed());
        assertEquals("552 5.3.4 Message size exceeds fixed maximum message size", out.lastReply());
        send(session, "NOOP\r\n");
        assertEquals("250 2.0.0 OK", out.lastReply());
    }

    /**
     * RFC 3030 §2: chunk-size is 1*DIGIT. A size too large for a long is still a chunk: what
     * follows is read as its data, never as commands, so a proxy in front that counts the chunk
     * cannot be made to disagree with the session about where commands are (as in SMTP smuggling).
     */
    @Test
    void aChunkSizeBeyondALongStillMakesTheRestData() {
        SmtpSession session = started(SessionConfig.builder().maxMessageSize(10).build());
        send(session, "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
        send(session, "BDAT 2\r\nok");
        assertEquals("250 2.0.0 OK: 2 octets received", out.lastReply());
        String before = out.replies();
        send(session, "BDAT 99999999999999999999999 LAST\r\nRSET\r\nMAIL FROM:<evil@example>\r\n");
        assertEquals(before, out.replies(), "the bytes after BDAT are chunk data, not commands");
        assertEquals(0, out.content().length, "past the size limit: nothing kept, the first chunk dropped");
        assertEquals(SessionState.BDAT, session.state());
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String rest(ByteBuffer in) {
        return StandardCharsets.US_ASCII.decode(in.duplicate()).toString();
    }

    /** isReceivingContent: true exactly while the next bytes are message content. */
    @Test
    void receivingContentInDataAndInChunks() {
        SmtpSession session = started(SessionConfig.builder().authentication(true).allowInsecureAuth(true)
                .startTls(true).build());
        assertFalse(session.isReceivingContent());
        send(session, "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
        assertFalse(session.isReceivingContent());
        send(session, "DATA\r\n");
        assertTrue(session.isReceivingContent(), "after 354");
        send(session, "line\r\n.");
        assertTrue(session.isReceivingContent(), "a dot that may not end the data yet");
        session.receive(bytes("\r\n"));
        assertTrue(session.awaiting() instanceof Decision.Message);
        assertFalse(session.isReceivingContent(), "the end-of-data line was the last of the content");
        session.resume(null);
        assertFalse(session.isReceivingContent());

        send(session, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 4\r\n");
        assertTrue(session.isReceivingContent(), "a chunk with octets to come");
        send(session, "abc");
        assertTrue(session.isReceivingContent());
        send(session, "d");
        assertFalse(session.isReceivingContent(), "between chunks the session reads commands");
        assertEquals("250 2.0.0 OK: 4 octets received", out.lastReply());
        send(session, "BDAT 0\r\n");
        assertFalse(session.isReceivingContent(), "an empty chunk has no content to wait for");
        session.receive(bytes("BDAT 2 LAST\r\nef"));
        assertFalse(session.isReceivingContent(), "paused for the message decision");
        session.resume(null);

        // Chunks that are read only to be thrown away are content too: out of sequence, too big.
        send(session, "BDAT 3\r\n");
        assertTrue(session.isReceivingContent(), "a refused chunk is still read");
        send(session, "xyz");
        assertFalse(session.isReceivingContent());
        assertEquals("503 5.5.1 Error: need MAIL command", out.lastReply());

        send(session, "AUTH LOGIN\r\n");
        assertEquals(SessionState.AUTH, session.state());
        assertFalse(session.isReceivingContent(), "SASL responses are lines, not content");
        send(session, "*\r\nSTARTTLS\r\n");
        assertEquals(SessionState.TLS, session.state());
        assertFalse(session.isReceivingContent());
    }

    @Test
    void noContentIsReceivedOnceClosedOrWithChunkingOff() {
        SmtpSession session = started(SessionConfig.builder().chunking(false).build());
        send(session, "EHLO x\r\nBDAT 3\r\n");
        assertEquals("502 5.5.1 Error: command BDAT not implemented", out.lastReply());
        assertTrue(session.isReceivingContent(), "the chunk of an unimplemented BDAT is skipped, not parsed");
        session.timeout();
        assertFalse(session.isReceivingContent(), "a closed session receives nothing");
    }

    /**
     * receive() returns right after a chunk's last octet, so a transport that slices command input
     * can slice the commands pipelined behind it; calling again goes on with them.
     */
    @Test
    void receiveReturnsAfterAChunkAndGoesOnWhenCalledAgain() {
        SmtpSession session = started(SessionConfig.builder().build());
        send(session, "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
        out.clearReplies();
        ByteBuffer in = bytes("BDAT 3\r\nabcNOOP\r\nBDAT 2\r\nxyRSET\r\nNOOP\r\n");
        session.receive(in);
        assertEquals("NOOP\r\nBDAT 2\r\nxyRSET\r\nNOOP\r\n", rest(in), "stopped after the chunk");
        assertEquals("250 2.0.0 OK: 3 octets received\r\n", out.replies());
        assertFalse(session.isReceivingContent());
        session.receive(in);
        assertEquals("RSET\r\nNOOP\r\n", rest(in), "a command, then the next chunk, then stop again");
        assertEquals("abcxy", out.contentText());
        session.receive(in);
        assertFalse(in.hasRemaining());
        assertEquals("250 2.0.0 OK: 3 octets received\r\n250 2.0.0 OK\r\n250 2.0.0 OK: 5 octets received\r\n"
                + "250 2.0.0 OK\r\n250 2.0.0 OK\r\n", out.replies());
        assertEquals(1, out.discards(), "RSET dropped the chunks");
    }

    @Test
    void receiveReturnsAfterAChunkReadAcrossBuffers() {
        SmtpSession session = started(SessionConfig.builder().build());
        send(session, "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
        ByteBuffer first = bytes("BDAT 5\r\nab");
        session.receive(first);
        assertFalse(first.hasRemaining());
        assertTrue(session.isReceivingContent());
        ByteBuffer second = bytes("cdeNOOP\r\n");
        session.receive(second);
        assertEquals("NOOP\r\n", rest(second));
        assertEquals("250 2.0.0 OK: 5 octets received", out.lastReply());
    }

    @Test
    void receiveReturnsAfterASkippedChunk() {
        SmtpSession session = started(SessionConfig.builder().maxMessageSize(2).build());
        send(session, "EHLO x\r\n");
        ByteBuffer in = bytes("BDAT 2\r\nxyNOOP\r\n");
        session.receive(in);
        assertEquals("NOOP\r\n", rest(in), "a chunk out of sequence, read and dropped");
        assertEquals("503 5.5.1 Error: need MAIL command", out.lastReply());
        send(session, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
        in = bytes("BDAT 3 LAST\r\nxyzNOOP\r\n");
        session.receive(in);
        assertEquals("NOOP\r\n", rest(in), "a chunk too big for the limit, read and dropped");
        assertEquals("552 5.3.4 Message size exceeds fixed maximum message size", out.lastReply());
        session.receive(in);
        assertEquals("250 2.0.0 OK", out.lastReply());
    }

    /** DATA's end is the end of content as well; a refused message does not pause, so this shows it. */
    @Test
    void receiveReturnsAfterTheEndOfData() {
        SmtpSession session = started(SessionConfig.builder().maxMessageSize(3).build());
        send(session, "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
        ByteBuffer in = bytes("DATA\r\ntoo long\r\n.\r\nNOOP\r\n");
        session.receive(in);
        assertEquals("NOOP\r\n", rest(in));
        assertEquals("552 5.3.4 Message size exceeds fixed maximum message size", out.lastReply());
        assertFalse(session.isReceivingContent());
        session.receive(in);
        assertFalse(in.hasRemaining());
        assertEquals("250 2.0.0 OK", out.lastReply());
    }

    /** A command line does not end a receive(): only content that ends does. */
    @Test
    void commandsAloneAreReadToTheEnd() {
        SmtpSession session = started(SessionConfig.builder().build());
        ByteBuffer in = bytes("EHLO x\r\nNOOP\r\nRSET\r\nNOOP\r\nHELP\r\n");
        session.receive(in);
        session.resume(null);
        session.receive(in);
        assertFalse(in.hasRemaining());
        assertTrue(out.lastReply().startsWith("214 "), out.lastReply());
    }

    /** Drives one transaction to its message decision and returns the session paused on it. */
    private SmtpSession atMessage(SessionConfig config, String... recipients) {
        SmtpSession session = started(config);
        StringBuilder script = new StringBuilder(config.lmtp() ? "LHLO x\r\n" : "EHLO x\r\n").append("MAIL FROM:<a@b>\r\n");
        for (String r : recipients) {
            script.append("RCPT TO:<").append(r).append(">\r\n");
        }
        ByteBuffer in = bytes(script.append("DATA\r\nhi\r\n.\r\n").toString());
        while (!(session.awaiting() instanceof Decision.Message)) {
            session.receive(in);
            if (session.awaiting() != null && !(session.awaiting() instanceof Decision.Message)) {
                session.resume(null);
            }
        }
        out.clearReplies();
        return session;
    }

    /** RFC 2033 §4.2: every entry is one reply, in order, a null one the default. */
    @Test
    void lmtpSendsEachPerRecipientReply() {
        SmtpSession session = atMessage(SessionConfig.builder().lmtp(true).build(), "a@x", "b@x", "a@x");
        session.resumePerRecipient(java.util.Arrays.asList(Reply.MAILBOX_UNAVAILABLE, null, Reply.LOCAL_ERROR));
        assertEquals("550 5.1.1 Mailbox unavailable\r\n250 2.0.0 OK\r\n451 4.3.0 Error: local error in processing\r\n",
                out.replies());
        assertEquals(SessionState.GREETED, session.state());
        assertNull(session.awaiting());
    }

    /** Under SMTP one reply answers the message: never a 2xx while some recipient refused, a 4xx before a 5xx. */
    @Test
    void smtpSendsOneReplyForPerRecipientReplies() {
        Reply queued = Reply.of(250, "2.0.0", "Queued");
        Reply full = Reply.of(452, "4.2.2", "Mailbox full");
        Object[][] cases = {
            {List.of(queued, Reply.OK), "250 2.0.0 Queued"},
            {List.of(queued, Reply.MAILBOX_UNAVAILABLE), "550 5.1.1 Mailbox unavailable"},
            {List.of(Reply.MAILBOX_UNAVAILABLE, queued, full), "452 4.2.2 Mailbox full"},
            {java.util.Arrays.asList(null, null), "250 2.0.0 OK"},
        };
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked")
            List<Reply> replies = (List<Reply>) c[0];
            String[] recipients = new String[replies.size()];
            java.util.Arrays.fill(recipients, "r@x");
            SmtpSession session = atMessage(SessionConfig.builder().build(), recipients);
            session.resumePerRecipient(replies);
            assertEquals(c[1] + "\r\n", out.replies(), String.valueOf(replies));
        }
    }

    /** A wrong count, or a per-recipient answer to anything but a message, is the caller's bug. */
    @Test
    void perRecipientRepliesMustFitTheMessage() {
        SmtpSession session = atMessage(SessionConfig.builder().lmtp(true).build(), "a@x", "b@x");
        assertThrows(IllegalArgumentException.class, () -> session.resumePerRecipient(List.of(Reply.OK)));
        assertTrue(session.awaiting() instanceof Decision.Message, "still waiting after a refused answer");
        session.resumePerRecipient(List.of(Reply.OK, Reply.OK));
        assertThrows(IllegalStateException.class, () -> session.resumePerRecipient(List.of()));
        SmtpSession greeting = new SmtpSession(SessionConfig.builder().build(), out);
        greeting.start();
        assertThrows(IllegalStateException.class, () -> greeting.resumePerRecipient(List.of()));
    }

    /** LHLO is seen by the handler as an extended greeting, and the session then counts as extended. */
    @Test
    void lhloIsAnExtendedHello() {
        SmtpSession session = started(SessionConfig.builder().lmtp(true).build());
        send(session, "LHLO client.example\r\n");
        assertEquals(new Decision.Hello("client.example", true), out.lastDecision());
        assertTrue(session.isExtended());
        assertEquals("client.example", session.heloName());
    }
}
