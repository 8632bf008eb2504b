// Headless Chromium (Debian's, driven by playwright-core) against `chosei serve`'s page at /:
// the model list loads, Enter sends, the answer streams in, Shift+Enter and Enter during IME
// composition do not send, and a screenshot is saved as a test artifact.
// usage: node browser_chat_test.mjs BASE_URL API_KEY SCREENSHOT_PATH
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const [base, apiKey, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  await page.goto(base + "/");
  await page.fill("#api-key", apiKey);
  await page.dispatchEvent("#api-key", "change");
  await page.waitForFunction(() => document.querySelectorAll("#model option").length > 0);
  const options = await page.locator("#model option").allTextContents();
  assert.deepEqual(options.sort(), ["base", "raw", "tiny"]);
  await page.selectOption("#model", "tiny");

  // Enter during IME composition confirms the conversion; it must not send.
  await page.fill("#input", "へんぴん");
  await page.dispatchEvent("#input", "keydown", { key: "Enter", isComposing: true, keyCode: 229 });
  assert.equal(await page.locator(".msg").count(), 0);
  // Shift+Enter breaks the line.
  await page.fill("#input", "How do I return a kettle?");
  await page.press("#input", "Shift+Enter");
  assert.equal(await page.locator(".msg").count(), 0);
  assert.ok((await page.inputValue("#input")).endsWith("\n"));

  await page.fill("#input", "How do I return a kettle?");
  await page.fill("#temperature", "0");
  await page.press("#input", "Enter");
  await page.waitForSelector(".msg.user");
  await page.waitForFunction(() => /finish: (stop|length)/.test(document.getElementById("status").textContent),
    null, { timeout: 30000 });
  const answer = await page.locator(".msg.assistant").innerText();
  assert.ok(answer.replace("copy", "").trim().length > 0, "the streamed answer is empty");
  assert.ok(answer.includes("Return"), answer);
  await page.screenshot({ path: screenshot, fullPage: true });
  assert.deepEqual(external, [], "the page made requests elsewhere");
  console.log("browser chat: answer streamed, screenshot at " + screenshot);
} finally {
  await browser.close();
}
