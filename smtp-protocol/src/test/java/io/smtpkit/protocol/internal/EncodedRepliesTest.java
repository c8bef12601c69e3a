package io.smtpkit.protocol.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.smtpkit.protocol.Reply;
import org.junit.jupiter.api.Test;

class EncodedRepliesTest {

    @Test
    void aConstantIsEncodedOnceAndAsReplyEncodesIt() {
        for (Reply constant : new Reply[] {Reply.SENDER_OK, Reply.RECIPIENT_OK, Replies.DATA_GO_AHEAD, Replies.BYE}) {
            for (boolean enhanced : new boolean[] {false, true}) {
                assertArrayEquals(constant.encode(enhanced), EncodedReplies.of(constant, enhanced));
                assertSame(EncodedReplies.of(constant, enhanced), EncodedReplies.of(constant, enhanced));
            }
        }
    }

    @Test
    void anEqualReplyThatIsNoConstantIsEncodedAfresh() {
        Reply equal = Reply.of(250, "2.1.0", "OK");
        assertArrayEquals(Reply.SENDER_OK.encode(true), EncodedReplies.of(equal, true));
        assertNotSame(EncodedReplies.of(equal, true), EncodedReplies.of(equal, true));
        assertArrayEquals("250 OK\r\n".getBytes(), EncodedReplies.of(Reply.SENDER_OK, false));
    }
}
