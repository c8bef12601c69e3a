package io.smtpkit.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The parameter form of {@link SmtpServerExtension}: on a test class, every test method (and
 * {@code @BeforeEach}/{@code @AfterEach} method) may take an {@code SmtpServerExtension}
 * parameter, a server of its own for that test with the defaults, started before and stopped
 * after it. Within one test, every parameter is the same server.
 * <pre>{@code
 * @SmtpTest
 * class SignupTest {
 *     @Test
 *     void sendsWelcome(SmtpServerExtension smtp) {
 *         new Signup(smtp.host(), smtp.port()).register("alice@example.org");
 *         assertThat(smtp.awaitMessage()).hasSubject("Welcome");
 *     }
 * }
 * }</pre>
 * For a server with settings, or one per class, register the extension in a field instead.
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(SmtpTestExtension.class)
public @interface SmtpTest {
}
