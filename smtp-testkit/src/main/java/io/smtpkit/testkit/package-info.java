/**
 * Testkit for users' JUnit 5 tests: an embedded smtpkit server on port 0 that records what it
 * received, with assertions on the recorded messages (in the spirit of OkHttp's MockWebServer).
 *
 * <p>Not built yet: this module is a placeholder in the reactor.
 */
package io.smtpkit.testkit;
