package io.smtpkit.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page in a real browser: mail appears without a reload, opens, renders its HTML in the
 * sandbox, downloads its attachment, is found and deleted. One Chromium for the class.
 */
class InboxBrowserTest {

    private static Browser browser;
    private static ChromeDriver driver;
    private static Fixture f;

    @BeforeAll
    static void start() throws Exception {
        browser = Browser.start();
        driver = browser.driver;
        f = new Fixture(100, null);
    }

    @AfterAll
    static void stop() throws Exception {
        if (f != null) {
            f.close();
        }
        if (browser != null) {
            browser.close();
        }
    }

    @BeforeEach
    void empty() throws Exception {
        assertEquals(200, f.request("DELETE", "api/v1/messages", null).statusCode());
        driver.manage().window().setSize(new Dimension(1280, 800));
        driver.get(f.uri("").toString());
        live();
    }

    /** Waits until the page's event stream is open, so what is sent next is pushed to it. */
    private static void live() {
        waiting().until(ExpectedConditions.attributeContains(By.id("live"), "class", "on"));
    }

    /** A wait that retries when the list was redrawn under it (each update renders it anew). */
    static WebDriverWait waiting() {
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(10));
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        return wait;
    }

    /** Clicks the list's {@code index}th message, again if the list was redrawn meanwhile. */
    static void open(int index) {
        waiting().until(d -> {
            items().get(index).click();
            return true;
        });
    }

    private static List<WebElement> items() {
        return driver.findElements(By.cssSelector("#list li.msg-item"));
    }

    @Test
    void mailAppearsLiveOpensRendersAndDownloads() throws Exception {
        assertTrue(items().isEmpty());
        byte[] pdf = "%PDF-1.4 not really a pdf \u00e9".getBytes(StandardCharsets.UTF_8);
        f.send(f.rich("Your invoice", "<h1 id='greeting'>Hello <b>Bob</b></h1><p>Total: 42</p>", "invoice.pdf", pdf));

        waiting().until(d -> items().size() == 1);
        waiting().until(d -> items().get(0).getAttribute("class").contains("unread"));
        assertEquals("Your invoice", waiting().until(d -> items().get(0).findElement(By.className("subj")).getText()));
        open(0);

        waiting().until(ExpectedConditions.textToBe(By.id("subject"), "Your invoice"));
        String id = (String) f.messages("api/v1/messages").get(0).get("ID");
        assertTrue(driver.getCurrentUrl().endsWith("/view/" + id), driver.getCurrentUrl());
        waiting().until(d -> !items().get(0).getAttribute("class").contains("unread"));

        WebElement frame = driver.findElement(By.id("html-frame"));
        assertEquals("", frame.getAttribute("sandbox"));
        driver.switchTo().frame(frame);
        assertEquals("Hello Bob", waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("greeting"))).getText());
        driver.switchTo().defaultContent();

        driver.findElement(By.cssSelector("#tabs button[data-tab=text]")).click();
        assertEquals("plain body of Your invoice", driver.findElement(By.id("text")).getText().strip());

        driver.findElement(By.cssSelector("#tabs button[data-tab=attachments]")).click();
        WebElement link = driver.findElement(By.cssSelector("#attachments a"));
        assertEquals("invoice.pdf", link.getText());
        assertEquals("invoice.pdf", link.getAttribute("download"));
        // The download as the page gets it: same origin, same credentials, the bytes that were sent.
        Object fetched = ((JavascriptExecutor) driver).executeAsyncScript(
                "const done = arguments[1]; fetch(arguments[0]).then(r => r.arrayBuffer())"
                        + ".then(b => done(Array.from(new Uint8Array(b)))).catch(e => done(String(e)));",
                link.getAttribute("href"));
        assertEquals(bytes(pdf), fetched);

        // A shared /view/{ID} link opens the page at that message.
        driver.get(f.uri("view/" + id).toString());
        waiting().until(ExpectedConditions.textToBe(By.id("subject"), "Your invoice"));
    }

    @Test
    void searchKeyboardAndDelete() throws Exception {
        f.send(f.message("alice@example.org", "bob@example.net", "Lunch on Friday", "noon?"));
        f.send(f.message("carol@example.org", "bob@example.net", "Quarterly report", "attached"));
        f.send(f.message("dave@example.org", "erin@example.net", "Lunch moved", "13:00"));
        waiting().until(d -> items().size() == 3);

        WebElement search = driver.findElement(By.id("search"));
        search.sendKeys("subject:lunch to:bob");
        waiting().until(d -> items().size() == 1);
        assertEquals("Lunch on Friday", waiting().until(d -> items().get(0).findElement(By.className("subj")).getText()));
        search.clear();
        search.sendKeys(" ");
        waiting().until(d -> items().size() == 3);

        // j moves down, Enter opens, Delete deletes: the newest first, so j lands on the second.
        search.sendKeys(Keys.ESCAPE);
        driver.findElement(By.tagName("body")).sendKeys("j");
        driver.findElement(By.tagName("body")).sendKeys("j");
        driver.findElement(By.tagName("body")).sendKeys(Keys.ENTER);
        waiting().until(ExpectedConditions.textToBe(By.id("subject"), "Quarterly report"));
        driver.findElement(By.id("delete")).click();
        waiting().until(d -> items().size() == 2);
        assertEquals(List.of("Lunch moved", "Lunch on Friday"),
                waiting().until(d -> items().stream().map(i -> i.findElement(By.className("subj")).getText()).toList()));
        assertEquals(2.0, f.json("api/v1/messages").get("total"));

        driver.findElement(By.id("delete-all")).click();
        driver.switchTo().alert().accept();
        waiting().until(d -> items().isEmpty());
        assertEquals(0.0, f.json("api/v1/messages").get("total"));
    }

    @Test
    void anotherClientsDeleteUpdatesThePage() throws Exception {
        f.send(f.message("alice@example.org", "bob@example.net", "going away", "soon"));
        waiting().until(d -> items().size() == 1);
        open(0);
        waiting().until(ExpectedConditions.textToBe(By.id("subject"), "going away"));
        f.request("DELETE", "api/v1/messages", "{}");
        waiting().until(d -> items().isEmpty());
        assertFalse(driver.findElement(By.id("message")).isDisplayed());
    }

    @Test
    void phoneWidthShowsOnePaneAtATime() throws Exception {
        driver.manage().window().setSize(new Dimension(390, 844));
        f.send(f.message("alice@example.org", "bob@example.net", "on the phone", "small screen"));
        waiting().until(d -> items().size() == 1);
        assertFalse(driver.findElement(By.id("message-pane")).isDisplayed());
        open(0);
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("subject")));
        assertFalse(driver.findElement(By.id("list-pane")).isDisplayed());
        driver.findElement(By.id("back")).click();
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("list-pane")));
        Long width = (Long) ((JavascriptExecutor) driver).executeScript("return document.documentElement.scrollWidth;");
        Long viewport = (Long) ((JavascriptExecutor) driver).executeScript("return window.innerWidth;");
        assertTrue(width <= viewport, width + " > " + viewport + ": the page scrolls sideways");
    }

    @Test
    void unknownMessageSaysSo() {
        driver.get(f.uri("view/AAAAAAAAAAAAAAAAAAAAAA").toString());
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("placeholder"), "not in the inbox"));
        assertThrows(org.openqa.selenium.NoAlertPresentException.class, () -> driver.switchTo().alert());
    }

    private static List<Long> bytes(byte[] b) {
        Long[] out = new Long[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (long) (b[i] & 0xff);
        }
        return List.of(out);
    }

}
