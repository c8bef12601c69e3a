package io.smtpkit.testkit;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * What {@link SmtpTest} registers: resolves {@link SmtpServerExtension} parameters with one server
 * per test, kept in the test's store, checked for unfired scripts and stopped after the test.
 * Public only because annotations must name it.
 */
public final class SmtpTestExtension implements ParameterResolver, AfterEachCallback {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SmtpTestExtension.class);

    /** Made by JUnit. */
    public SmtpTestExtension() {}

    /** Parameters of type {@link SmtpServerExtension} of test, {@code @BeforeEach} and {@code @AfterEach} methods. */
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == SmtpServerExtension.class && context.getTestMethod().isPresent();
    }

    /** The test's server, started on first use; every parameter of one test is the same server. */
    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getStore(NAMESPACE).getOrComputeIfAbsent("server", key -> {
            SmtpServerExtension server = SmtpServerExtension.create();
            try {
                server.beforeEach(context);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the test server", e);
            }
            return server;
        }, SmtpServerExtension.class);
    }

    /** Fails the test if a script of it never acted, and stops its server. */
    @Override
    public void afterEach(ExtensionContext context) {
        SmtpServerExtension server = context.getStore(NAMESPACE).remove("server", SmtpServerExtension.class);
        if (server != null) {
            server.afterEach(context);
        }
    }
}
