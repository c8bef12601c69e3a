/**
 * Testkit for users' JUnit 5 tests, in the spirit of OkHttp's MockWebServer: an embedded smtpkit
 * server on {@code 127.0.0.1}, a free port, that records what it received
 * ({@link io.smtpkit.testkit.SmtpServerExtension}, {@link io.smtpkit.testkit.ReceivedMessage}),
 * answers as scripted at every stage of a session ({@link io.smtpkit.testkit.ScriptBuilder}),
 * AssertJ assertions on one message at a time ({@link io.smtpkit.testkit.ReceivedMessageAssert}),
 * and a handler test without sockets ({@link io.smtpkit.testkit.HandlerHarness}).
 */
package io.smtpkit.testkit;
