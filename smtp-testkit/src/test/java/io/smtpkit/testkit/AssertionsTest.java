package io.smtpkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.activation.DataHandler;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The AssertJ assertions check one message per chain: two mails cannot make a chain pass. */
class AssertionsTest {

    @RegisterExtension
    static final SmtpServerExtension smtp = SmtpServerExtension.create();

    @Test
    void aChainOnOneMessage() throws Exception {
        sendWithAttachment("shop@example.org", "alice@example.org", "Your order", "Order 42 ships today.", "invoice.pdf");

        ReceivedMessage m = smtp.awaitMessage();

        assertThat(m) // AssertJ's own assertThat finds ReceivedMessageAssert: ReceivedMessage is an AssertProvider
                .isFrom("shop@example.org")
                .hasEnvelopeRecipient("alice@example.org")
                .hasEnvelopeRecipients("alice@example.org")
                .hasSubject("Your order")
                .hasTextContaining("Order 42")
                .hasAttachmentNamed("invoice.pdf")
                .hasHeader("From", "shop@example.org");
        SmtpAssertions.assertThat(m).isFrom("shop@example.org");
        assertThat(m.attachmentNames()).containsExactly("invoice.pdf");
    }

    @Test
    void aChainCannotPassOnTwoMessages() throws Exception {
        // One mail has the sender, the other the subject: no single message has both.
        Mail.send(smtp, "shop@example.org", "Newsletter", "x", "alice@example.org");
        Mail.send(smtp, "other@example.org", "Your order", "x", "alice@example.org");
        List<ReceivedMessage> both = smtp.awaitMessages(2);

        for (ReceivedMessage m : both) {
            assertThatThrownBy(() -> assertThat(m).isFrom("shop@example.org").hasSubject("Your order"))
                    .isInstanceOf(AssertionError.class);
        }
        assertThatThrownBy(() -> assertThat(both.get(0)).isFrom("shop@example.org").hasSubject("Your order"))
                .hasMessageContaining("expected subject \"Your order\" but was \"Newsletter\"")
                .hasMessageContaining("in message from <shop@example.org>");
    }

    @Test
    void eachCheckFailsWithWhatWasThere() throws Exception {
        Mail.send(smtp, "a@example.org", "s", "text", "b@example.org");
        ReceivedMessage m = smtp.awaitMessage();

        assertThatThrownBy(() -> assertThat(m).isFrom("x@example.org")).hasMessageContaining("but was <a@example.org>");
        assertThatThrownBy(() -> assertThat(m).hasEnvelopeRecipient("c@example.org"))
                .hasMessageContaining("recipients were [b@example.org]");
        assertThatThrownBy(() -> assertThat(m).hasTextContaining("nope")).hasMessageContaining("\"text");
        assertThatThrownBy(() -> assertThat(m).hasAttachmentNamed("a.pdf")).hasMessageContaining("names were []");
        assertThatThrownBy(() -> assertThat(m).wasSentOverTls()).hasMessageContaining("plain text");
        assertThatThrownBy(() -> assertThat(m).wasAuthenticatedAs("alice")).hasMessageContaining("not authenticated");
    }

    private static void sendWithAttachment(String from, String to, String subject, String text, String file) throws Exception {
        Session session = Session.getInstance(smtp.mailProperties());
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress(from));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress(to));
        m.setSubject(subject);
        MimeBodyPart body = new MimeBodyPart();
        body.setText(text);
        MimeBodyPart attachment = new MimeBodyPart();
        attachment.setDataHandler(new DataHandler(new ByteArrayDataSource(new byte[] {'%', 'P', 'D', 'F'}, "application/pdf")));
        attachment.setFileName(file);
        attachment.setDisposition(MimeBodyPart.ATTACHMENT);
        m.setContent(new MimeMultipart(body, attachment));
        Transport.send(m);
    }
}
