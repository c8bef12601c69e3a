package io.smtpkit.protocol.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smtpkit.protocol.transcript.Transcript;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays every golden client transcript in {@code src/test/resources/client-transcripts}: the
 * server's bytes whole, one byte at a time, and cut in two at every byte of every phase; each run
 * must write exactly the expected bytes and produce exactly the expected events.
 */
class ClientTranscriptTest {

    @TestFactory
    Stream<DynamicNode> transcripts() {
        List<ClientTranscript> all = ClientTranscript.loadAll();
        if (all.size() < 55) {
            throw new AssertionError("client transcripts went missing: only " + all.size());
        }
        return all.stream().map(t -> DynamicContainer.dynamicContainer(t.name(), Stream.of(
                DynamicTest.dynamicTest("whole", () -> check(t, ClientTranscriptRunner.run(t, ClientTranscriptRunner.WHOLE), "whole")),
                DynamicTest.dynamicTest("one byte at a time", () -> check(t,
                        ClientTranscriptRunner.run(t, ClientTranscriptRunner.BYTE_AT_A_TIME), "byte at a time")),
                DynamicTest.dynamicTest("cut at every byte", () -> everyCut(t)))));
    }

    private static void everyCut(ClientTranscript t) {
        for (int p = 0; p < ClientTranscriptRunner.phases(t); p++) {
            int length = ClientTranscriptRunner.phase(t, p).length;
            for (int cut = 1; cut < length; cut++) {
                check(t, ClientTranscriptRunner.run(t, p, ClientTranscriptRunner.cutAt(cut)), "phase " + p + " cut at " + cut);
            }
        }
    }

    private static void check(ClientTranscript t, List<String> actual, String how) {
        assertEquals(Transcript.render(t.expected()), Transcript.render(actual), t.name() + ".txt, server bytes fed " + how);
    }
}
