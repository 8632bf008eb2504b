// Asks the served models the ten domain questions the way a person does: in the web chat page
// of `chosei serve` (headless Debian chromium through playwright-core), one new chat per
// question, greedy, the answer streamed into the page. Saves a screenshot of every answer and
// transcript.json: [{question, answers: {model: text}}].
// usage: node ask_in_browser.mjs BASE_URL API_KEY QUESTIONS_FILE OUT_DIR MODEL...
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { chromium } = await import(
  pathToFileURL(join(root, "tests/node/node_modules/playwright-core/index.mjs")).href);

const [base, apiKey, questionsFile, outDir, ...models] = process.argv.slice(2);
const questions = readFileSync(questionsFile, "utf8").split("\n").map((q) => q.trim()).filter(Boolean);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const transcript = questions.map((question) => ({ question, answers: {} }));
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  await page.goto(base + "/");
  await page.fill("#api-key", apiKey);
  await page.dispatchEvent("#api-key", "change");
  await page.waitForFunction(() => document.querySelectorAll("#model option").length > 0);
  for (const model of models) {
    await page.selectOption("#model", model);
    await page.fill("#temperature", "0");
    await page.fill("#max-tokens", "200");
    for (const [n, question] of questions.entries()) {
      await page.click("#new-chat");
      await page.fill("#input", question);
      await page.press("#input", "Enter");
      await page.waitForFunction(
        () => /finish: |Error/.test(document.getElementById("status").textContent), null,
        { timeout: 120000 });
      const answer = await page.locator(".msg.assistant").first().getAttribute("data-text");
      transcript[n].answers[model] = answer;
      await page.screenshot({ path: join(outDir, `${model}-${String(n + 1).padStart(2, "0")}.png`) });
      console.log(`[${model}] ${question}\n  ${answer.replace(/\s+/g, " ").slice(0, 300)}`);
    }
  }
} finally {
  await browser.close();
}
writeFileSync(join(outDir, "transcript.json"), JSON.stringify(transcript, null, 2));
