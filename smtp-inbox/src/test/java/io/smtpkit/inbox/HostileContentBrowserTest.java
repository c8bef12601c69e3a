package io.smtpkit.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import jakarta.activation.DataHandler;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A message written to attack whoever opens it, opened in a real browser: its subject, sender
 * name, header, attachment name and HTML try {@code <script>}, event handlers, attribute breaks,
 * {@code javascript:} URLs, a form and a tracking pixel. Nothing may run, submit or phone home
 * until remote content is switched on (and then only the image loads), and every string is
 * shown as the text it is.
 */
class HostileContentBrowserTest {

    static final String SUBJECT = "\"><script>window.name='pwned-subject'</script><img src=x onerror=\"document.title='PWNED'\">";
    static final String NAME = "<img src=x onerror=\"window.name='pwned-from'\">\"'><b>Eve";
    static final String FILE = "\"><img src=x onerror=alert('file')>.html";
    static final String HEADER = "<script>window.name='pwned-header'</script>\" onmouseover=\"alert(1)";

    private static Browser browser;
    private static ChromeDriver driver;
    private static Fixture f;
    private static HttpServer tracker;
    private static final AtomicInteger pixelLoads = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        browser = Browser.start();
        driver = browser.driver;
        f = new Fixture(10, null);
        tracker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        tracker.createContext("/", x -> {
            pixelLoads.incrementAndGet();
            x.sendResponseHeaders(404, -1);
            x.close();
        });
        tracker.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (tracker != null) {
            tracker.stop(0);
        }
        if (f != null) {
            f.close();
        }
        if (browser != null) {
            browser.close();
        }
    }

    private static MimeMessage hostile() throws Exception {
        MimeMessage m = f.message("evil@example.org", "victim@example.net", SUBJECT, "unused");
        m.setFrom(new InternetAddress("evil@example.org", NAME, "UTF-8"));
        m.addHeader("X-Evil", HEADER);
        String pixel = "http://127.0.0.1:" + tracker.getAddress().getPort() + "/pixel.gif";
        String html = "<script>window.top.name='pwned-script'; alert('script')</script>"
                + "<img src=\"x\" onerror=\"alert('onerror')\">"
                + "<a id=\"js\" href=\"javascript:alert('href')\">click me</a>"
                + "<p id=\"attr\" title=\"x\" onmouseover=\"alert('attr')\">\"'><svg onload=alert('svg')></svg></p>"
                + "<form id=\"form\" action=\"/api/v1/messages\" method=\"post\"><input id=\"go\" type=\"submit\" value=\"go\"></form>"
                + "<img id=\"pixel\" src=\"" + pixel + "\">"
                + "<meta http-equiv=\"refresh\" content=\"0; url=javascript:alert('refresh')\">"
                + "<iframe src=\"javascript:alert('nested')\"></iframe>"
                + "<p id=\"visible\">hostile but harmless</p>";
        MimeBodyPart body = Fixture.textAndHtml("<script>alert('text')</script>", html);
        MimeBodyPart file = new MimeBodyPart();
        file.setDataHandler(new DataHandler(new ByteArrayDataSource(
                "<script>alert('attachment')</script>".getBytes(StandardCharsets.UTF_8), "text/html")));
        file.setFileName(FILE);
        file.setDisposition(MimeBodyPart.ATTACHMENT);
        MimeMultipart mixed = new MimeMultipart("mixed");
        mixed.addBodyPart(body);
        mixed.addBodyPart(file);
        m.setContent(mixed);
        m.saveChanges();
        return m;
    }

    private static WebDriverWait waiting() {
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(10));
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        return wait;
    }

    private static Object js(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    /** Nothing ran in the page: no dialog, no marker set, only the page's own script and no image. */
    private static void nothingRan() {
        assertThrows(NoAlertPresentException.class, () -> driver.switchTo().alert());
        assertEquals("", js("return window.name;"));
        assertFalse(driver.getTitle().contains("PWNED"), driver.getTitle());
        assertEquals(1L, js("return document.scripts.length;"));
        assertEquals(0L, js("return document.querySelectorAll('img, svg, form, b').length;"));
    }

    @Test
    void hostileMessageRunsNothingAndShowsItsTextAsText() throws Exception {
        driver.get(f.uri("").toString());
        waiting().until(ExpectedConditions.attributeContains(By.id("live"), "class", "on"));
        f.send(hostile());

        waiting().until(d -> !d.findElements(By.cssSelector("#list li.msg-item")).isEmpty());
        By item = By.cssSelector("#list li.msg-item");
        assertEquals(SUBJECT, waiting().until(d -> d.findElement(item).findElement(By.className("subj")).getText()));
        String listed = waiting().until(d -> d.findElement(item).findElement(By.className("from")).getText());
        assertTrue(listed.startsWith(NAME), listed);
        nothingRan();

        waiting().until(d -> {
            d.findElement(item).click();
            return true;
        });
        waiting().until(ExpectedConditions.textToBe(By.id("subject"), SUBJECT));
        String from = driver.findElement(By.cssSelector("#meta tr[data-field=From] td")).getText();
        assertEquals(NAME + " <evil@example.org>", from);
        nothingRan();

        // Inside the sandbox: the body is shown, but no link, form or refresh takes effect.
        WebElement frame = driver.findElement(By.id("html-frame"));
        driver.switchTo().frame(frame);
        assertEquals("hostile but harmless", waiting().until(
                ExpectedConditions.visibilityOfElementLocated(By.id("visible"))).getText());
        driver.findElement(By.id("js")).click();
        driver.findElement(By.id("go")).click();
        driver.switchTo().defaultContent();
        assertTrue(driver.findElement(By.id("html-frame")).getAttribute("src").endsWith(".html"));
        nothingRan();
        assertEquals(1.0, f.json("api/v1/messages").get("total"), "the form did not submit");
        assertEquals(0, pixelLoads.get(), "the remote image must not load until allowed");

        driver.findElement(By.cssSelector("#tabs button[data-tab=headers]")).click();
        waiting().until(d -> d.findElement(By.id("headers")).getText().contains("X-Evil"));
        assertTrue(driver.findElement(By.id("headers")).getText().contains(HEADER));
        driver.findElement(By.cssSelector("#tabs button[data-tab=text]")).click();
        assertEquals("<script>alert('text')</script>", driver.findElement(By.id("text")).getText().strip());
        driver.findElement(By.cssSelector("#tabs button[data-tab=raw]")).click();
        waiting().until(d -> d.findElement(By.id("raw")).getText().contains("alert('onerror')"));
        driver.findElement(By.cssSelector("#tabs button[data-tab=attachments]")).click();
        WebElement link = driver.findElement(By.cssSelector("#attachments a"));
        assertEquals(FILE, link.getText());
        nothingRan();

        // The attachment is served as a download in a sandbox, never as an HTML page of this origin.
        HttpResponse<String> part = f.request("GET", link.getAttribute("href").replaceFirst("^http://[^/]+/", ""), null);
        assertTrue(part.headers().firstValue("Content-Disposition").orElse("").startsWith("attachment; filename=\"_>"),
                part.headers().toString());
        assertEquals("default-src 'none'; sandbox", part.headers().firstValue("Content-Security-Policy").orElse(""));

        // Remote content on request, for this message: the image loads, scripts still do not.
        driver.findElement(By.cssSelector("#tabs button[data-tab=html]")).click();
        driver.findElement(By.id("remote")).click();
        waiting().until(d -> pixelLoads.get() > 0);
        assertTrue(driver.findElement(By.id("html-frame")).getAttribute("src").endsWith(".html?remote=1"));
        nothingRan();
    }
}
