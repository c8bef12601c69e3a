package io.smtpkit.testkit;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.util.Properties;

/** Sends with Angus Mail (jakarta.mail.Transport), as users' code does. */
final class Mail {

    private Mail() {}

    static MimeMessage message(Session session, String from, String subject, String text, String... to)
            throws MessagingException {
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress(from));
        for (String r : to) {
            m.addRecipient(Message.RecipientType.TO, new InternetAddress(r));
        }
        m.setSubject(subject, "UTF-8");
        m.setText(text, "UTF-8");
        return m;
    }

    static void send(SmtpServerExtension smtp, String from, String subject, String text, String... to)
            throws MessagingException {
        send(smtp.mailProperties(), from, subject, text, to);
    }

    static void send(Properties props, String from, String subject, String text, String... to)
            throws MessagingException {
        Session session = Session.getInstance(props);
        Transport.send(message(session, from, subject, text, to));
    }
}
