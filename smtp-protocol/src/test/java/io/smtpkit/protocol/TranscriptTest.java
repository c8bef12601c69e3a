package io.smtpkit.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smtpkit.protocol.transcript.Transcript;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays every golden transcript in {@code src/test/resources/transcripts} against the
 * in-memory session: in one piece (in heap and in direct buffers), one byte at a time, and cut in
 * two at every byte boundary of every phase. Each run must produce exactly the events the transcript expects.
 */
class TranscriptTest {

    @TestFactory
    Stream<DynamicNode> transcripts() {
        List<Transcript> all = Transcript.loadAll();
        if (all.size() < 40) {
            throw new AssertionError("transcripts went missing: only " + all.size());
        }
        return all.stream().map(t -> DynamicContainer.dynamicContainer(t.name(), Stream.of(
                DynamicTest.dynamicTest("whole", () -> check(t, -1, TranscriptRunner.WHOLE, "whole")),
                DynamicTest.dynamicTest("whole, direct buffers", () -> assertEquals(
                        Transcript.render(t.expectedEvents()),
                        Transcript.render(TranscriptRunner.run(t, -1, TranscriptRunner.WHOLE, true)),
                        t.name() + ".txt, input fed whole in direct buffers")),
                DynamicTest.dynamicTest("one byte at a time", () -> check(t, -1, TranscriptRunner.BYTE_AT_A_TIME, "byte at a time")),
                DynamicTest.dynamicTest("cut at every byte", () -> everyCut(t)))));
    }

    private static void everyCut(Transcript t) {
        List<Transcript.Phase> phases = t.phases();
        for (int p = 0; p < phases.size(); p++) {
            for (int cut = 1; cut < phases.get(p).input().length; cut++) {
                check(t, p, TranscriptRunner.cutAt(cut), "phase " + p + " cut at " + cut);
            }
        }
    }

    private static void check(Transcript t, int phase, TranscriptRunner.Splitter splitter, String how) {
        List<String> actual = TranscriptRunner.run(t, phase, splitter);
        assertEquals(Transcript.render(t.expectedEvents()), Transcript.render(actual), t.name() + ".txt, input fed " + how);
    }
}
