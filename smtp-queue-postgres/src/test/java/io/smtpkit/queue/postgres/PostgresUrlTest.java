package io.smtpkit.queue.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.queue.postgres.internal.PostgresUrl;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PostgresUrlTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "postgresql://smtpkit:s3cret@db.example:5432/mail | postgresql://smtpkit:***@db.example:5432/mail",
        "postgres://u:p%40ss@h/db?sslmode=require | postgres://u:***@h/db?sslmode=require",
        "postgresql://h/db?user=u&password=s3cret&currentSchema=q | postgresql://h/db?user=u&password=***&currentSchema=q",
        "jdbc:postgresql://h:5432/db?user=u&password=s3cret | jdbc:postgresql://h:5432/db?user=u&password=***",
        "jdbc:postgresql://h/db?password=a&PASSWORD=b | jdbc:postgresql://h/db?password=***&PASSWORD=***",
        "postgresql://nopassword@h/db | postgresql://nopassword@h/db",
    })
    void passwordsAreMasked(String spec, String masked) {
        assertEquals(masked, PostgresUrl.mask(spec));
        assertEquals(masked, PostgresUrl.parse(spec).toString());
        assertFalse(PostgresUrl.parse(spec).toString().contains("s3cret"));
    }

    @Test
    void libpqUserInfoBecomesDriverProperties() {
        PostgresUrl u = PostgresUrl.parse("postgresql://smtp%20kit:p%40ss:w@db:6543/mail?sslmode=disable");
        assertEquals("jdbc:postgresql://db:6543/mail?sslmode=disable", u.jdbcUrl());
        assertEquals("smtp kit", u.properties().getProperty("user"));
        assertEquals("p@ss:w", u.properties().getProperty("password"));
    }

    @Test
    void acceptsTheThreeSchemesOnly() {
        assertTrue(PostgresUrl.accepts("postgresql://h/db"));
        assertTrue(PostgresUrl.accepts("POSTGRES://h/db"));
        assertTrue(PostgresUrl.accepts("jdbc:postgresql://h/db"));
        assertFalse(PostgresUrl.accepts("/var/spool/smtpkit"));
        assertFalse(PostgresUrl.accepts("jdbc:mysql://h/db"));
    }

    /** No database needed: nothing listens on port 1. */
    @Test
    void aFailureToConnectDoesNotShowThePassword() {
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> PostgresQueueStore.connect("postgresql://u:s3cret@127.0.0.1:1/db?connectTimeout=2"));
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains("s3cret"), t.toString());
        }
        assertTrue(e.getMessage().contains("u:***@127.0.0.1:1"), e.getMessage());
    }
}
