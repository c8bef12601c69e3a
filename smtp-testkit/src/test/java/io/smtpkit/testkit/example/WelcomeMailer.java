package io.smtpkit.testkit.example;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.util.Properties;

/** Code under test, as a user would write it: plain Jakarta Mail, told where the server is. */
final class WelcomeMailer {

    private final Session session;

    WelcomeMailer(String host, int port) {
        Properties props = new Properties();
        props.put("mail.smtp.host", host);
        props.put("mail.smtp.port", String.valueOf(port));
        props.put("mail.smtp.timeout", "5000");
        this.session = Session.getInstance(props);
    }

    /** Sends the welcome mail; false if the server refused the address for good. */
    boolean welcome(String address, String name) throws MessagingException {
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress("hello@shop.example"));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress(address));
        m.setSubject("Welcome, " + name);
        m.setText("Hello " + name + ", your account is ready.");
        try {
            Transport.send(m);
            return true;
        } catch (jakarta.mail.SendFailedException e) {
            return false;
        }
    }
}
