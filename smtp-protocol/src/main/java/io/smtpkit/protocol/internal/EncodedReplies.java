package io.smtpkit.protocol.internal;

import io.smtpkit.protocol.Reply;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The wire form of every constant reply ({@link Reply}'s and {@link Replies}'), encoded once:
 * most replies of a busy session are these ({@code 250 2.1.0 OK}, {@code 354}, {@code 221}), and
 * encoding each again cost a builder, a string and an array per reply. The arrays are shared by
 * every session, so nobody may change them ({@code SessionOutput.send} says so).
 */
public final class EncodedReplies {

    /** The constant's encoding without and with its enhanced code; filled once, read only after. */
    private static final Map<Reply, byte[][]> CONSTANTS = new IdentityHashMap<>();

    static {
        for (Class<?> holder : new Class<?>[] {Reply.class, Replies.class}) {
            for (Field field : holder.getFields()) {
                int modifiers = field.getModifiers();
                if (field.getType() == Reply.class && Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers)) {
                    try {
                        Reply reply = (Reply) field.get(null);
                        CONSTANTS.put(reply, new byte[][] {reply.encode(false), reply.encode(true)});
                    } catch (IllegalAccessException e) {
                        throw new AssertionError(e); // public fields of our own public classes
                    }
                }
            }
        }
    }

    private EncodedReplies() {}

    /** {@code reply} on the wire, CRLF-terminated, with its enhanced code when asked; never change the array. */
    public static byte[] of(Reply reply, boolean withEnhancedStatus) {
        byte[][] encoded = CONSTANTS.get(reply);
        return encoded != null ? encoded[withEnhancedStatus ? 1 : 0] : reply.encode(withEnhancedStatus);
    }
}
