// Headless Chromium (Debian's, driven by playwright-core) against `chosei serve --data-dir`'s
// fine-tuning page: a bad upload shows its finding with the line, a file whose name is markup
// is shown as text, a good upload becomes a training file, a job started from the form draws
// its loss curve from the events while it runs and ends succeeded, "Try it in chat" opens the
// chat page on the fine-tuned model and it answers; a second job is cancelled from the page.
// usage: node browser_finetune_test.mjs BASE_URL API_KEY DATA_DIR SCREENSHOT_PATH
// DATA_DIR holds train.jsonl and bad.jsonl (line 3 broken).
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const [base, apiKey, dataDir, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const text = (page, sel) => page.locator(sel).innerText();
try {
  const page = await browser.newPage();
  const external = [], errors = [];
  page.on("request", (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(base + "/fine-tuning");
  await page.fill("#api-key", apiKey);
  await page.dispatchEvent("#api-key", "change");
  await page.waitForFunction(() => document.querySelectorAll("#job-model option").length > 0);

  // A bad file: its status and the finding naming line 3.
  await page.setInputFiles("#upload-file", path.join(dataDir, "bad.jsonl"));
  await page.click("#upload");
  await page.waitForFunction(() => /bad\.jsonl: error/.test(document.getElementById("upload-result").textContent));
  assert.match(await text(page, "#upload-result"), /bad\.jsonl:3: /);
  // A file name that is markup is shown as text, never parsed.
  // (no quotes: browsers send a quote in a multipart file name as %22)
  const markup = "<img src=x onerror=window.pwned=1>.jsonl";
  await page.setInputFiles("#upload-file", { name: markup, mimeType: "application/jsonl",
    buffer: fs.readFileSync(path.join(dataDir, "train.jsonl")) });
  await page.click("#upload");
  await page.waitForFunction((n) => document.getElementById("upload-result").textContent.startsWith(n + ": processed"), markup)
    .catch(async (e) => { throw new Error(e.message + "; the page shows: " + await text(page, "#upload-result")); });
  // (the list refreshes after the upload's answer is shown)
  await page.waitForFunction((n) => document.getElementById("files").textContent.includes(n), markup);
  assert.equal(await page.locator("#files img").count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  // The good file, then a job on it from the form.
  await page.setInputFiles("#upload-file", path.join(dataDir, "train.jsonl"));
  await page.click("#upload");
  await page.waitForFunction(() => /^train\.jsonl: processed/.test(document.getElementById("upload-result").textContent));
  const trainOption = page.locator("#job-training option", { hasText: /^train\.jsonl/ });
  await page.selectOption("#job-training", await trainOption.getAttribute("value"));
  await page.selectOption("#job-model", "base");
  await page.fill("#job-epochs", "3");
  await page.fill("#job-batch", "2");
  await page.fill("#job-lr", "20");
  await page.fill("#job-suffix", "page");
  await page.click("#create-job");
  await page.waitForFunction(() => /^Started ftjob-/.test(document.getElementById("job-result").textContent));
  // The curve grows while it runs, and the job ends succeeded.
  await page.waitForFunction(() => {
    const line = document.querySelector("#curve polyline.train-loss");
    return line && line.getAttribute("points").split(" ").length >= 2;
  }, null, { timeout: 120000 });
  await page.waitForFunction(() => document.getElementById("detail-status").textContent === "succeeded",
    null, { timeout: 300000 });
  // 24 examples / batch 2 x 3 epochs = 36 points, one per metrics event.
  await page.waitForFunction(() => document.querySelector("#curve polyline.train-loss").getAttribute("points").split(" ").length === 36);
  assert.match(await text(page, "#events"), /The job has successfully completed/);
  assert.match(await text(page, "#detail-model"), /^ft:base:org-[0-9a-f]{12}:page:/);
  await page.screenshot({ path: screenshot, fullPage: true });

  // A long job cancelled from the page.
  await page.fill("#job-epochs", "50");
  await page.fill("#job-batch", "1");
  await page.fill("#job-suffix", "");
  await page.click("#create-job");
  await page.waitForFunction(() => /^Started ftjob-/.test(document.getElementById("job-result").textContent)
    && document.getElementById("detail-status").textContent !== "succeeded");
  await page.click("#cancel-job");
  await page.waitForFunction(() => document.getElementById("detail-status").textContent === "cancelled", null, { timeout: 30000 });

  // Back to the finished job, then into the chat page on its model.
  await page.locator("tr.job", { hasText: ":page:" }).click();
  await page.waitForSelector("#try-model:not([hidden])");
  const model = (await text(page, "#detail-model")).split(" ")[0];
  await page.click("#try-model");
  await page.waitForURL(/\/\?model=/);
  await page.waitForFunction((m) => document.getElementById("model").value === m, model);
  await page.fill("#temperature", "0");
  await page.fill("#input", "When does order 4 ship?");
  await page.press("#input", "Enter");
  await page.waitForFunction(() => /finish: (stop|length)/.test(document.getElementById("status").textContent), null, { timeout: 60000 });
  assert.ok((await page.locator(".msg.assistant").innerText()).length > 0);
  assert.deepEqual(external, []);
  assert.deepEqual(errors, []);
  console.log("browser fine-tuning page: all checks passed");
} finally {
  await browser.close();
}
