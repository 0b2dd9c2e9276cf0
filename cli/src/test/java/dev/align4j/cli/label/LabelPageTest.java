package dev.align4j.cli.label;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code align4j label} end to end in a real browser: headless Chromium driven by Selenium labels
 * items with mouse clicks and with keys, the server is stopped and started again on the same files,
 * and the files hold exactly what the person chose on the sides they saw.
 *
 * <p>Uses the system's Chromium and ChromeDriver ({@code apt-get install chromium chromium-driver};
 * {@code .ci/run} installs them), never Selenium Manager's downloads. Without them the test is
 * skipped with a message, except under CI (the {@code CI} environment variable), where it fails.
 */
class LabelPageTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium"), CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path profile;

    @TempDir
    Path dir;

    /** Held so that its level stays set: Selenium warns when it has no DevTools bindings for this Chromium, which the test does not use. */
    private static final java.util.logging.Logger DEVTOOLS_LOG = java.util.logging.Logger.getLogger("org.openqa.selenium.devtools");

    private static ChromeDriverService service;
    private static WebDriver driver;

    @BeforeAll
    static void startBrowser() throws IOException {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!present && System.getenv("CI") != null) {
            fail("CI is set but " + CHROMIUM + " or " + CHROMEDRIVER + " is missing: .ci/run installs them (apt-get install chromium chromium-driver)");
        }
        if (!present) return; // each test reports the skip (an abort here would hide it from the test counts)
        DEVTOOLS_LOG.setLevel(java.util.logging.Level.SEVERE);
        service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toString());
        // No network on the test machines: without these Chromium waits on connections it makes at start.
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--user-data-dir=" + Files.createTempDirectory(profile, "chromium"));
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(WAIT);
    }

    @AfterAll
    static void quitBrowser() {
        try {
            if (driver != null) driver.quit();
        } finally {
            if (service != null) service.stop();
        }
    }

    @BeforeEach
    void requireBrowser() {
        assumeTrue(driver != null, "skipped: the browser test needs " + CHROMIUM + " and " + CHROMEDRIVER
                + " (apt-get install chromium chromium-driver); with CI set their absence is a failure");
    }

    /** A text of the page, once it is displayed. */
    private static String text(String id) {
        return driver.findElement(By.id(id)).getText();
    }

    /** Waits until the page shows item {@code id}; returns {prompt, left, right} as displayed. */
    private static String[] awaitItem(String id) {
        new WebDriverWait(driver, WAIT).until(d -> {
            WebElement shown = d.findElement(By.id("item-id"));
            return shown.isDisplayed() && shown.getText().equals(id);
        });
        return new String[] {text("prompt"), text("left"), text("right")};
    }

    private static void awaitDone() {
        new WebDriverWait(driver, WAIT).until(ExpectedConditions.visibilityOfElementLocated(By.id("done")));
    }

    private static void press(String key) {
        driver.findElement(By.tagName("body")).sendKeys(key);
    }

    private static void click(String buttonId) {
        new Actions(driver).moveToElement(driver.findElement(By.id(buttonId))).click().perform();
    }

    private LabelServer start(Path input, long seed) throws IOException {
        return new LabelServer(LabelStore.open(input, dir.resolve("prefs.jsonl"), seed, w -> {}), "127.0.0.1", 0).start();
    }

    @Test
    void aPersonLabelsByMouseAndKeyboardAcrossARestart() throws IOException {
        Map<String, String[]> items = new LinkedHashMap<>(); // id -> prompt, completion_a, completion_b
        items.put("q1", new String[] {"What is the capital of France?", "Paris is the capital.", "It is Lyon, I think."});
        items.put("q2", new String[] {"Name a prime number.", "Seven.", "Nine."});
        items.put("q3", new String[] {"Write a haiku about rain.", "Soft rain on the roof\nthe garden drinks in silence", "Rain is wet."});
        items.put("q4", new String[] {"Translate 'chat' from French.", "cat", "chat"});
        Path input = dir.resolve("pairs.jsonl");
        StringBuilder lines = new StringBuilder();
        items.forEach((id, t) -> lines.append(JsonLines.MAPPER.createObjectNode().put("id", id).put("prompt", t[0])
                .put("completion_a", t[1]).put("completion_b", t[2]).put("annotator_note", "n-" + id)).append('\n'));
        Files.writeString(input, lines);
        long seed = 0; // one where q1 and q2 are shown in different orders, so both mappings are exercised
        while (ShownOrder.of(seed, "q1") == ShownOrder.of(seed, "q2")) seed++;

        Map<String, String[]> shown = new LinkedHashMap<>();
        LabelServer server = start(input, seed);
        try {
            driver.get(server.url().toString());
            shown.put("q1", awaitItem("q1"));
            String page = driver.findElement(By.tagName("body")).getText();
            for (String t : items.get("q1")) assertTrue(page.contains(t), "the page shows \"" + t + "\": " + page);
            assertTrue(page.contains("0 / 4 labelled"), page);
            assertTrue(page.contains("A is better") && page.contains("B is better") && page.contains("Tie") && page.contains("Skip"), page);
            click("choose-left");                             // q1: mouse, A (left) is better

            shown.put("q2", awaitItem("q2"));
            assertTrue(text("progress-text").contains("1 / 4 labelled"), text("progress-text"));
            press("2");                                       // q2: keyboard, B (right) is better

            shown.put("q3", awaitItem("q3"));
            click("choose-tie");                              // q3: mouse, tie

            shown.put("q4", awaitItem("q4"));                 // q4 on screen when the server stops
        } finally {
            server.close();
        }

        server = start(input, seed);
        try {
            driver.get(server.url().toString());
            assertEquals(List.of(items.get("q4")[0], shown.get("q4")[1], shown.get("q4")[2]), List.of(awaitItem("q4")),
                    "after the restart only the unlabelled item is left, on the same sides");
            assertTrue(text("progress-text").contains("3 / 4 labelled"), text("progress-text"));
            press("s");                                       // q4: keyboard, skip
            awaitDone();
            assertTrue(driver.findElement(By.tagName("body")).getText().contains("All done"));
            assertTrue(text("progress-text").contains("4 / 4 labelled"), text("progress-text"));
        } finally {
            server.close();
        }

        server = start(input, seed);
        try {
            driver.get(server.url().toString());
            awaitDone();
            assertFalse(driver.findElement(By.id("item")).isDisplayed(), "nothing is shown again");
            assertTrue(driver.findElement(By.tagName("body")).getText().contains("All done"));
        } finally {
            server.close();
        }

        for (var e : shown.entrySet()) {
            String[] t = items.get(e.getKey()), s = e.getValue();
            assertEquals(t[0], s[0], "the prompt shown");
            assertTrue(List.of(s[1], s[2]).containsAll(List.of(t[1], t[2])), "both completions shown: " + List.of(s));
        }
        List<ObjectNode> prefs = LabelStoreTest.rows(dir.resolve("prefs.jsonl"));
        assertEquals(List.of("q1", "q2"), prefs.stream().map(r -> r.get("id").asText()).toList());
        assertEquals(shown.get("q1")[1], prefs.get(0).get("chosen").asText(), "q1: the text on the left, clicked");
        assertEquals(shown.get("q1")[2], prefs.get(0).get("rejected").asText());
        assertEquals(shown.get("q2")[2], prefs.get(1).get("chosen").asText(), "q2: the text on the right, by key");
        assertEquals(shown.get("q2")[1], prefs.get(1).get("rejected").asText());
        List<ObjectNode> skipped = LabelStoreTest.rows(dir.resolve("prefs.skipped.jsonl"));
        assertEquals(List.of("q3:tie", "q4:skip"), skipped.stream().map(r -> r.get("id").asText() + ":" + r.get("choice").asText()).toList());
        List<ObjectNode> all = new ArrayList<>(prefs);
        all.addAll(skipped);
        for (ObjectNode row : all) {
            String id = row.get("id").asText();
            String[] t = items.get(id);
            ShownOrder displayed = shown.get(id)[1].equals(t[1]) ? ShownOrder.A_LEFT : ShownOrder.B_LEFT;
            assertEquals(displayed.json(), row.get("shown_order"), id + ": the order recorded is the order displayed");
            assertEquals("n-" + id, row.get("annotator_note").asText(), "carried column");
        }
        assertTrue(ShownOrder.parse(prefs.get(0).get("shown_order")) != ShownOrder.parse(prefs.get(1).get("shown_order")), "both orders were used");
    }
}
