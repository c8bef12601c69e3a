package io.smtpkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedSuccessfully;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * The extension inside JUnit: static and instance fields, {@code @Nested}, {@code @SmtpTest}
 * parameters, and the end-of-test check for scripts that never acted. The example classes run
 * in JUnit's own engine from here (EngineTestKit), so their failures are what is asserted; on
 * their own they are disabled.
 */
class LifecycleTest {

    static volatile boolean insideEngineTestKit;

    static boolean insideEngineTestKit() {
        return insideEngineTestKit;
    }

    private static Events run(Class<?> example) {
        insideEngineTestKit = true;
        try {
            return EngineTestKit.engine("junit-jupiter").selectors(selectClass(example)).execute().testEvents();
        } finally {
            insideEngineTestKit = false;
        }
    }

    // ------------------------------------------------------------------------------------------

    @EnabledIf(value = "io.smtpkit.testkit.LifecycleTest#insideEngineTestKit", disabledReason = "an example run by LifecycleTest")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class UnfiredScripts {
        @RegisterExtension
        static final SmtpServerExtension smtp = SmtpServerExtension.create();

        @Test
        @Order(1)
        void registersAndSendsNothing() {
            smtp.whenRcpt("bounce@example.org").reply(550, "5.1.1", "No such user");
        }

        @Test
        @Order(2)
        void optionalScript() {
            smtp.whenRcpt("bounce@example.org").reply(550, "5.1.1", "No such user").optional();
        }

        @Test
        @Order(3)
        void firedScript() throws Exception {
            assertThat(smtp.scripts()).isEmpty(); // the unfired one of test 1 went with its test
            smtp.whenRcpt("bounce@example.org").reply(550, "5.1.1", "No such user");
            try {
                Mail.send(smtp, "a@example.org", "s", "x", "bounce@example.org");
            } catch (jakarta.mail.SendFailedException expected) {
                // the script acted
            }
        }
    }

    @Test
    void aScriptThatNeverActedFailsItsTest() {
        Events events = run(UnfiredScripts.class);

        events.assertStatistics(s -> s.started(3).succeeded(2).failed(1));
        events.assertThatEvents().haveExactly(1, event(test("registersAndSendsNothing"),
                finishedWithFailure(instanceOf(AssertionError.class), message(m -> m.contains(
                        "script(s) that never acted during the test: whenRcpt(to bounce@example.org).reply(550 5.1.1 No such user)")))));
        assertThat(UnfiredScripts.smtp.isRunning()).isFalse(); // stopped after the class
    }

    @EnabledIf(value = "io.smtpkit.testkit.LifecycleTest#insideEngineTestKit", disabledReason = "an example run by LifecycleTest")
    static class UnfiredAllowed {
        @RegisterExtension
        static final SmtpServerExtension smtp = SmtpServerExtension.builder().failOnUnfiredScripts(false).build();

        @Test
        void registersAndSendsNothing() {
            smtp.whenMessage().reply(554, "5.7.1", "Never");
        }
    }

    @Test
    void theCheckCanBeTurnedOff() {
        run(UnfiredAllowed.class).assertStatistics(s -> s.started(1).succeeded(1));
    }

    // ------------------------------------------------------------------------------------------

    static final List<String> seen = new CopyOnWriteArrayList<>();

    @EnabledIf(value = "io.smtpkit.testkit.LifecycleTest#insideEngineTestKit", disabledReason = "an example run by LifecycleTest")
    static class StaticWithNested {
        @RegisterExtension
        static final SmtpServerExtension smtp = SmtpServerExtension.create();

        @Test
        void outer() throws Exception {
            assertThat(smtp.messages()).isEmpty();
            Mail.send(smtp, "outer@example.org", "s", "x", "b@example.org");
            smtp.awaitMessage();
            seen.add("outer " + smtp.port());
        }

        @Nested
        class Inner {
            @Test
            void inner() throws Exception {
                assertThat(smtp.messages()).isEmpty(); // reset for the nested test too
                Mail.send(smtp, "inner@example.org", "s", "x", "b@example.org");
                assertThat(smtp.awaitMessages(1)).singleElement().satisfies(m -> assertThat(m.sender()).isEqualTo("inner@example.org"));
                seen.add("inner " + smtp.port());
            }
        }
    }

    @Test
    void aStaticServerServesItsNestedClassesWithOnePortAndStopsAtTheEnd() {
        seen.clear();
        run(StaticWithNested.class).assertStatistics(s -> s.started(2).succeeded(2));

        assertThat(seen).hasSize(2);
        assertThat(seen.get(0).split(" ")[1]).isEqualTo(seen.get(1).split(" ")[1]);
        assertThat(StaticWithNested.smtp.isRunning()).isFalse();
    }

    @EnabledIf(value = "io.smtpkit.testkit.LifecycleTest#insideEngineTestKit", disabledReason = "an example run by LifecycleTest")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class InstanceField {
        @RegisterExtension
        final SmtpServerExtension smtp = SmtpServerExtension.create();
        static final List<SmtpServerExtension> servers = new CopyOnWriteArrayList<>();

        @Test
        @Order(1)
        void first() {
            servers.add(smtp);
            seen.add("first " + smtp.port());
        }

        @Test
        @Order(2)
        void second() {
            assertThat(servers.get(0).isRunning()).isFalse(); // the first test's server is gone
            servers.add(smtp);
            seen.add("second " + smtp.port());
        }
    }

    @Test
    void anInstanceFieldIsAServerPerTest() {
        seen.clear();
        InstanceField.servers.clear();
        run(InstanceField.class).assertStatistics(s -> s.started(2).succeeded(2));

        assertThat(InstanceField.servers).hasSize(2).doesNotHaveDuplicates();
        assertThat(InstanceField.servers).noneMatch(SmtpServerExtension::isRunning);
    }

    // ------------------------------------------------------------------------------------------

    @EnabledIf(value = "io.smtpkit.testkit.LifecycleTest#insideEngineTestKit", disabledReason = "an example run by LifecycleTest")
    @SmtpTest
    static class ParameterForm {
        static final List<SmtpServerExtension> servers = new CopyOnWriteArrayList<>();
        SmtpServerExtension fromBeforeEach;

        @BeforeEach
        void before(SmtpServerExtension smtp) {
            fromBeforeEach = smtp;
        }

        @Test
        void sends(SmtpServerExtension smtp) throws Exception {
            assertThat(smtp).isSameAs(fromBeforeEach);
            servers.add(smtp);
            Mail.send(smtp, "a@example.org", "s", "x", "b@example.org");
            assertThat(smtp.awaitMessage().recipients()).containsExactly("b@example.org");
        }

        @Test
        void unfired(SmtpServerExtension smtp) {
            servers.add(smtp);
            smtp.whenMail().reply(550, "5.7.1", "No");
        }
    }

    @Test
    void smtpTestInjectsAServerPerTestAndChecksItsScripts() {
        ParameterForm.servers.clear();
        Events events = run(ParameterForm.class);

        events.assertStatistics(s -> s.started(2).succeeded(1).failed(1));
        events.assertThatEvents().haveExactly(1, event(test("unfired"),
                finishedWithFailure(message(m -> m.contains("never acted")))));
        events.assertThatEvents().haveExactly(1, event(test("sends"), finishedSuccessfully()));
        assertThat(ParameterForm.servers).hasSize(2).doesNotHaveDuplicates().noneMatch(SmtpServerExtension::isRunning);
    }

    // ------------------------------------------------------------------------------------------

    /** Fails the first test's beforeEach before the server's own runs (registered first, by order). */
    static final class FailsFirstBeforeEach implements org.junit.jupiter.api.extension.BeforeEachCallback {
        private final java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();

        @Override
        public void beforeEach(org.junit.jupiter.api.extension.ExtensionContext context) {
            if (failed.compareAndSet(false, true)) {
                throw new IllegalStateException("an earlier extension failed");
            }
        }
    }

    static final List<Integer> turnsDuringTests = new CopyOnWriteArrayList<>();

    @EnabledIf(value = "io.smtpkit.testkit.LifecycleTest#insideEngineTestKit", disabledReason = "an example run by LifecycleTest")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class EarlierExtensionFails {
        @RegisterExtension
        @Order(1)
        static final FailsFirstBeforeEach first = new FailsFirstBeforeEach();

        @RegisterExtension
        @Order(2)
        static final SmtpServerExtension smtp = SmtpServerExtension.create();

        @Test
        @Order(1)
        void neverRuns() {
        }

        @Test
        @Order(2)
        void holdsTheOnlyTurn() {
            turnsDuringTests.add(smtp.availableTurns());
        }
    }

    @Test
    void aTurnNeverTakenIsNeverGivenBack() {
        turnsDuringTests.clear();
        run(EarlierExtensionFails.class).assertStatistics(s -> s.started(2).succeeded(1).failed(1));

        // Before the fix, afterEach gave back a turn the failed test never took: two later tests
        // sharing the server could then overlap.
        assertThat(turnsDuringTests).containsExactly(0);
        assertThat(EarlierExtensionFails.smtp.availableTurns()).isEqualTo(1);
    }

    static final List<String> sessionsSeen = new CopyOnWriteArrayList<>();

    @EnabledIf(value = "io.smtpkit.testkit.LifecycleTest#insideEngineTestKit", disabledReason = "an example run by LifecycleTest")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class ConnectionsOfAnEarlierTest {
        @RegisterExtension
        static final SmtpServerExtension smtp = SmtpServerExtension.create();
        static io.smtpkit.server.testsupport.SmtpClient closing;
        static io.smtpkit.server.testsupport.SmtpClient pooled;
        static ClientSession closingSession;

        @Test
        @Order(1)
        void leavesTwoConnectionsOpen() throws Exception {
            closing = connect();
            closingSession = smtp.sessions().get(0);
            pooled = connect();
        }

        @Test
        @Order(2)
        void oneClosesDuringTheNextTestAndTheOtherSendsAMessage() throws Exception {
            closing.close();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (!closingSession.isClosed() && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // a condition, checked until the server has recorded the close
            }
            assertThat(closingSession.isClosed()).as("the server saw the close").isTrue();
            try (var client = pooled) {
                assertThat(client.sendMail("a@example.org", "b@example.org", "Subject: pooled\r\n\r\nx")).startsWith("250");
            }
            assertThat(smtp.awaitMessage().subject()).isEqualTo("pooled");
            smtp.sessions().forEach(s -> sessionsSeen.add(s.id()));
            sessionsSeen.add("message from " + smtp.messages().get(0).sessionId());
        }

        private static io.smtpkit.server.testsupport.SmtpClient connect() throws Exception {
            var client = io.smtpkit.server.testsupport.SmtpClient.connect(new java.net.InetSocketAddress(smtp.host(), smtp.port()));
            client.reply();
            assertThat(client.command("EHLO c")).startsWith("250");
            return client;
        }
    }

    @Test
    void aConnectionOfAnEarlierTestIsTheNextTestsOnlyIfItSendsThere() {
        sessionsSeen.clear();
        run(ConnectionsOfAnEarlierTest.class).assertStatistics(s -> s.started(2).succeeded(2));

        // Before the fix, the late close re-created the closed connection in the second test's sessions.
        assertThat(sessionsSeen).hasSize(2);
        assertThat(sessionsSeen.get(1)).isEqualTo("message from " + sessionsSeen.get(0));
    }
}
