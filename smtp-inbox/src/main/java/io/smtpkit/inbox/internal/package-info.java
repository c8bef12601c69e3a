/** The inbox's store, MIME reading, JSON and web server; not API. */
package io.smtpkit.inbox.internal;
