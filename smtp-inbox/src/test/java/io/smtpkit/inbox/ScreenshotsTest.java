package io.smtpkit.inbox;

import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.activation.DataHandler;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Makes the README's screenshots, docs/inbox-list.png and docs/inbox-message.png, when asked:
 * {@code mvn -pl smtp-inbox -am verify -Dtest=ScreenshotsTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dinbox.screenshots=$PWD/docs}. Skipped otherwise.
 */
class ScreenshotsTest {

    /** A 16x16 blue square, the inline logo of the sample HTML mail. */
    private static final byte[] LOGO = Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAF0lEQVR4nGNkaPjPQApgIkn1qIZRDcNKAwBrqAGQ/ki6gQAAAABJRU5ErkJggg==");

    @Test
    void screenshots() throws Exception {
        String dir = System.getProperty("inbox.screenshots");
        Assumptions.assumeTrue(dir != null && !dir.isBlank(), "set -Dinbox.screenshots=DIR to make the screenshots");
        try (Browser browser = Browser.start(); Fixture f = new Fixture(100, null)) {
            f.send(f.message("Build Bot <ci@example.org>", "team@example.net", "Nightly build #2291 passed", "All 1,412 tests passed in 3m 12s."));
            f.send(f.message("Acme Accounts <no-reply@acme.example>", "jane@example.net", "Reset your password",
                    "Someone asked to reset the password of your account. If it was you, follow the link below."));
            f.send(f.rich("Weekly report: week 48", "<h2>Week 48</h2><p>Signups up <b>12%</b>.</p>", "report-week-48.pdf",
                    "%PDF-1.4 sample".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            f.send(order(f));
            browser.driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 760));
            browser.driver.get(f.uri("").toString());
            WebDriverWait wait = new WebDriverWait(browser.driver, Duration.ofSeconds(10));
            wait.until(d -> d.findElements(By.cssSelector("#list li.msg-item")).size() == 4);
            Path out = Path.of(dir);
            Files.createDirectories(out);
            Files.write(out.resolve("inbox-list.png"), browser.driver.getScreenshotAs(OutputType.BYTES));
            browser.driver.findElements(By.cssSelector("#list li.msg-item")).get(0).click();
            wait.until(ExpectedConditions.textToBe(By.id("subject"), "Your order #1042 has shipped"));
            browser.driver.switchTo().frame(browser.driver.findElement(By.id("html-frame")));
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("track")));
            browser.driver.switchTo().defaultContent();
            Files.write(out.resolve("inbox-message.png"), browser.driver.getScreenshotAs(OutputType.BYTES));
            assertTrue(Files.size(out.resolve("inbox-message.png")) > 10_000);
        }
    }

    private static MimeMessage order(Fixture f) throws Exception {
        MimeMessage m = f.message("Acme Shop <orders@acme.example>", "Jane Doe <jane@example.net>", "Your order #1042 has shipped", "");
        String html = "<div style=\"font-family:Georgia,serif;max-width:520px;margin:16px auto;color:#222\">"
                + "<p><img src=\"cid:logo@acme\" width=\"32\" height=\"32\" alt=\"Acme\" style=\"vertical-align:middle\"> "
                + "<b style=\"font-size:20px\">Acme Shop</b></p>"
                + "<h2 style=\"color:#2b6cb0\">Good news, Jane!</h2>"
                + "<p>Your order <b>#1042</b> left our warehouse this morning and should arrive on Thursday.</p>"
                + "<table style=\"border-collapse:collapse;width:100%\">"
                + "<tr><td style=\"border-bottom:1px solid #ddd;padding:6px\">Espresso beans, 1 kg</td><td style=\"text-align:right;border-bottom:1px solid #ddd\">€24.00</td></tr>"
                + "<tr><td style=\"border-bottom:1px solid #ddd;padding:6px\">Milk jug</td><td style=\"text-align:right;border-bottom:1px solid #ddd\">€9.50</td></tr>"
                + "<tr><td style=\"padding:6px\"><b>Total</b></td><td style=\"text-align:right\"><b>€33.50</b></td></tr></table>"
                + "<p><a id=\"track\" href=\"https://acme.example/track/1042\" style=\"display:inline-block;background:#2b6cb0;color:#fff;"
                + "padding:8px 14px;border-radius:4px;text-decoration:none\">Track your parcel</a></p></div>";
        MimeBodyPart body = Fixture.textAndHtml(
                "Your order #1042 left our warehouse this morning and should arrive on Thursday.", html);
        MimeBodyPart logo = new MimeBodyPart();
        logo.setDataHandler(new DataHandler(new ByteArrayDataSource(LOGO, "image/png")));
        logo.setContentID("<logo@acme>");
        logo.setDisposition(MimeBodyPart.INLINE);
        MimeMultipart related = new MimeMultipart("related");
        related.addBodyPart(body);
        related.addBodyPart(logo);
        m.setContent(related);
        m.saveChanges();
        return m;
    }
}
