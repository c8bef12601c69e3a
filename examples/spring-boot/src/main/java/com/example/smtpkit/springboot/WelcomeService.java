package com.example.smtpkit.springboot;

import jakarta.mail.SendFailedException;
import org.springframework.mail.MailException;
import org.springframework.mail.MailSendException;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.stereotype.Service;

/** Sends the welcome mail, and tells a bad address from a server that is busy. */
@Service
public class WelcomeService {

    /** What became of a welcome mail. */
    public enum Outcome {
        /** The server took it. */
        SENT,
        /** The server refused the address for good (5xx): ask the user for another one. */
        ADDRESS_REFUSED,
        /** The server could not take it now (4xx, or no answer): try again later. */
        TRY_LATER
    }

    private final JavaMailSender mail;

    public WelcomeService(JavaMailSender mail) {
        this.mail = mail;
    }

    public Outcome welcome(String address, String name) {
        SimpleMailMessage m = new SimpleMailMessage();
        m.setFrom("hello@shop.example");
        m.setTo(address);
        m.setSubject("Welcome, " + name);
        m.setText("Hello " + name + ", your account is ready.");
        try {
            mail.send(m);
            return Outcome.SENT;
        } catch (MailSendException e) {
            // Angus Mail puts a refused recipient among the invalid addresses (5xx) and a
            // temporarily refused one among the valid but unsent ones (4xx).
            for (Exception failure : e.getFailedMessages().values()) {
                if (failure instanceof SendFailedException sendFailed
                        && sendFailed.getInvalidAddresses() != null && sendFailed.getInvalidAddresses().length > 0) {
                    return Outcome.ADDRESS_REFUSED;
                }
            }
            return Outcome.TRY_LATER;
        } catch (MailException e) {
            return Outcome.TRY_LATER;
        }
    }
}
