package io.smtpkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * JUnit's parallel execution (enabled for this module, four threads, see the pom): tests with a
 * server of their own run side by side without port clashes; tests sharing a static server take
 * turns, and each sees only its own messages.
 */
@Execution(ExecutionMode.CONCURRENT)
class ParallelTest {

    /** Two tests must be inside at the same time to pass: proves they ran concurrently. */
    static final CyclicBarrier together = new CyclicBarrier(2);

    @Nested
    @Execution(ExecutionMode.CONCURRENT)
    class ServerPerTest {
        @RegisterExtension
        final SmtpServerExtension smtp = SmtpServerExtension.create();

        @Test
        void one() throws Exception {
            sendOwnAndMeet("one");
        }

        @Test
        void two() throws Exception {
            sendOwnAndMeet("two");
        }

        private void sendOwnAndMeet(String name) throws Exception {
            together.await(30, TimeUnit.SECONDS);
            Mail.send(smtp, name + "@example.org", name, "x", "b@example.org");
            assertThat(smtp.awaitMessages(1)).singleElement().satisfies(m -> assertThat(m.sender()).isEqualTo(name + "@example.org"));
        }
    }

    @Nested
    @Execution(ExecutionMode.CONCURRENT)
    class SharedServer {
        @RegisterExtension
        static final SmtpServerExtension shared = SmtpServerExtension.create();
        static final AtomicInteger inside = new AtomicInteger();
        static final AtomicInteger counter = new AtomicInteger();

        @RepeatedTest(6)
        void eachTestSeesOnlyItsOwnMessage() throws Exception {
            assertThat(inside.incrementAndGet()).as("tests sharing a server overlap").isEqualTo(1);
            try {
                String sender = "t" + counter.incrementAndGet() + "@example.org";
                assertThat(shared.messages()).isEmpty();
                Mail.send(shared, sender, "s", "x", "b@example.org");
                assertThat(shared.awaitMessages(1)).singleElement().satisfies(m -> assertThat(m.sender()).isEqualTo(sender));
            } finally {
                inside.decrementAndGet();
            }
        }
    }
}
