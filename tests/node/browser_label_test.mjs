// The labeling pages in headless Chromium (Debian's, driven by playwright-core) against
// `chosei label serve`, started and SIGKILLed here:
//   1. ana labels session "pilot" by keyboard alone: a wrong key is refused, guidelines and
//      items with HTML and script in them show as text, Shift+2 (much better), a reason
//      (r, typing, Esc), skip (s), undo (u) and a new judgment; the server is SIGKILLed right
//      after the 5th decision is acknowledged, the 6th is made while it is down (the page says
//      so and keeps it), the server restarts, the page sends it once and continues; 10 labels.
//   2. ben, chi and dan label session "pair" (overlap 2) in three browsers at once: no item
//      gets more than two labels, nobody sees an item twice; another's lease gives 409.
//   3. The break reminder (session "rest", 1 minute) under a fake clock.
//   4. The admin page: wrong key refused, then progress, agreement matrix and timeline.
// Screenshots of both pages (wide and narrow) go to ARTIFACTS.
// usage: node browser_label_test.mjs CHOSEI WORK_DIR ARTIFACTS
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const [chosei, work, artifacts] = process.argv.slice(2);
const db = work + "/l.db";
const keys = { ana: "key-ana-1234", ben: "key-ben-5678", chi: "key-chi-9012", dan: "key-dan-3456", eve: "key-eve-7890" };
let server = null, base = "", port = 0;

async function startServer() {
  server = spawn(chosei, ["label", "serve", "--db", db, "--port", String(port), "--annotators", work + "/annotators.txt",
    "--admin-key", "admin-key-42"], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("the server did not start: " + log)), 20000);
    const read = (d) => {
      log += d;
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) { clearTimeout(timer); base = m[1]; port = Number(new URL(base).port); ok(); }
    };
    server.stdout.on("data", read);
    server.stderr.on("data", read);
    server.on("exit", (code) => fail(new Error("the server exited with " + code + ": " + log)));
  });
}

function killServer() {
  const gone = new Promise((ok) => server.once("exit", ok));
  server.kill("SIGKILL");
  return gone;
}

// What the database holds, read by Python's sqlite3 (independent of chosei's store).
function query(sql) {
  const out = execFileSync("/usr/bin/python3", ["-c",
    "import json,sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(json.dumps(c.execute(sys.argv[2]).fetchall()))", db, sql]);
  return JSON.parse(out.toString());
}

const standing = (session) => query(`
  SELECT i.external_id, n.name, e.choice, e.strength, e.left_slot, e.reason FROM events e
  JOIN items i ON i.id = e.item_id JOIN annotators n ON n.id = e.annotator_id
  JOIN sessions s ON s.id = i.session_id
  WHERE s.name = '${session}' AND e.kind = 'decision'
    AND NOT EXISTS (SELECT 1 FROM events u WHERE u.kind = 'undo' AND u.supersedes = e.id)
  ORDER BY e.id`);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});

async function signIn(page, session, key) {
  await page.goto(base + "/label?session=" + session);
  await page.fill("#key", key);
  await page.press("#key", "Enter");
}

const currentItem = (page) => page.locator("#work").getAttribute("data-item");

// Waits until the page shows an item other than `previous` (or the done screen).
async function nextShown(page, previous) {
  await page.waitForFunction((prev) => {
    const work = document.getElementById("work");
    return (!work.hidden && work.dataset.item && work.dataset.item !== prev && !work.classList.contains("waiting")) ||
      !document.getElementById("done").hidden;
  }, previous, { timeout: 15000 });
  return await page.locator("#done").isHidden() ? await currentItem(page) : null;
}

try {
  await startServer();
  const external = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("request", (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  page.on("dialog", (d) => { external.push("dialog: " + d.message()); d.dismiss(); });

  // 1. A wrong key is refused on the page (401 from the API).
  await signIn(page, "pilot", "not-a-key-000");
  await page.waitForFunction(() => document.getElementById("sign-in-error").textContent.length > 0);
  assert.match(await page.textContent("#sign-in-error"), /not an annotator key/);

  await signIn(page, "pilot", keys.ana);
  await page.waitForSelector("#work:not([hidden])");
  let item = await nextShown(page, "");
  assert.equal(item, "p1");

  // Hostile text: shown as text, nothing injected, nothing run.
  assert.match(await page.textContent("#conversation"), /<img src=x onerror=window\.pwned=1>/);
  assert.match(await page.textContent("#answers"), /<script>window\.pwned=2<\/script>/);
  assert.equal(await page.locator("#answers pre").count(), 1);  // the fenced code block
  await page.keyboard.press("g");
  assert.ok(await page.locator("#guidelines").isVisible());
  assert.match(await page.textContent("#guidelines"), /<script>window\.pwned=3<\/script>/);
  assert.equal(await page.locator("#guidelines strong").first().textContent(), "helpful");
  assert.equal(await page.locator("#guidelines a").getAttribute("href"), "https://example.com/guide");
  assert.equal(await page.locator("#guidelines a[href^='javascript']").count(), 0);
  await page.keyboard.press("Escape");
  assert.ok(await page.locator("#guidelines").isHidden());
  await page.keyboard.press("?");
  assert.ok(await page.locator("#help").isVisible());
  await page.keyboard.press("Escape");
  assert.equal(await page.locator("main img, main script, #guidelines img, #guidelines script").count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);

  // p1: A is better.
  await page.keyboard.press("1");
  assert.equal(await page.getAttribute("[data-choice=left]", "aria-pressed"), "true");
  await page.keyboard.press("Enter");
  item = await nextShown(page, item);                  // p2
  await page.keyboard.press("Shift+2");                // B is much better
  assert.ok(await page.locator("#strong").isChecked());
  await page.keyboard.press("Enter");
  item = await nextShown(page, item);                  // p3: skipped
  assert.equal(item, "p3");
  await page.keyboard.press("s");
  item = await nextShown(page, item);                  // p4: a reason, then tie
  await page.keyboard.press("r");
  await page.keyboard.type("both <b>fine</b>, really");
  await page.keyboard.press("Escape");
  await page.keyboard.press("3");
  await page.keyboard.press("Enter");
  item = await nextShown(page, item);                  // p5: both bad, undone, then B
  assert.equal(item, "p5");
  await page.keyboard.press("4");
  await page.keyboard.press("Enter");
  item = await nextShown(page, item);                  // p6 shown; undo brings p5 back
  await page.keyboard.press("u");
  item = await nextShown(page, item);
  assert.equal(item, "p5");
  assert.equal(await page.getAttribute("[data-choice=both_bad]", "aria-pressed"), "true");
  await page.keyboard.press("2");
  await page.keyboard.press("Enter");
  item = await nextShown(page, item);                  // the open lease on p6 comes back
  assert.equal(item, "p6");
  await page.keyboard.press("1");
  await page.keyboard.press("Enter");
  item = await nextShown(page, item);                  // 5th decision acknowledged
  assert.equal(item, "p7");
  await page.screenshot({ path: artifacts + "/label_page.png", fullPage: true });

  // SIGKILL right after the 5th acknowledgement: the 5 are on disk.
  await killServer();
  const five = standing("pilot");
  assert.deepEqual(five.map((d) => d[0]), ["p1", "p2", "p4", "p5", "p6"]);
  const [p1, p2, p4, p5] = five;
  assert.equal(p1[2], p1[4]);                  // "A" (left) names the answer shown on the left
  assert.notEqual(p2[2], p2[4]);               // "B" (right) the other one
  assert.equal(p2[3], 2);                      // much better
  assert.equal(p4[2], "tie");
  assert.equal(p4[5], "both <b>fine</b>, really");
  assert.notEqual(p5[2], p5[4]);               // the redone judgment (B), not the undone both bad
  assert.equal(query("SELECT COUNT(*) FROM events WHERE kind = 'skip'")[0][0], 1);

  // The 6th while the server is down: kept and said so, sent once when it is back.
  await page.keyboard.press("1");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => /unreachable/.test(document.getElementById("save-state").textContent), null, { timeout: 15000 });
  assert.match(await page.textContent("#save-state"), /1 label kept/);
  await startServer();
  item = await nextShown(page, item);
  assert.equal(item, "p8");
  await page.waitForFunction(() => /Saved/.test(document.getElementById("save-state").textContent));
  // A reload keeps the sign-in and continues at the same item.
  await page.reload();
  await page.waitForSelector("#work:not([hidden])");
  assert.equal(await nextShown(page, ""), "p8");
  for (let n = 7; n <= 10; ++n) {
    await page.keyboard.press(String(1 + (n % 4)));
    await page.keyboard.press("Enter");
    item = await nextShown(page, item);
  }
  assert.equal(item, null);                             // p1..p11 but the skipped p3: done
  assert.ok(await page.locator("#done").isVisible());
  assert.match(await page.textContent("#progress"), /^10 \/ 10/);
  const ten = standing("pilot");
  assert.equal(ten.length, 10);
  assert.deepEqual(ten.map((d) => d[0]), ["p1", "p2", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11"]);
  assert.equal(query("SELECT COUNT(*) FROM events WHERE kind = 'decision'")[0][0], 11);  // + the undone one
  await context.close();

  // 2. Three annotators at once, overlap 2.
  const labelers = await Promise.all(["ben", "chi", "dan"].map(async (who) => {
    const ctx = await browser.newContext({ viewport: who === "dan" ? { width: 600, height: 900 } : { width: 1280, height: 900 } });
    const p = await ctx.newPage();
    await signIn(p, "pair", keys[who]);
    await p.waitForSelector("#work:not([hidden]), #done:not([hidden])");
    return { who, ctx, page: p, seen: [] };
  }));
  // Another annotator's lease: the API refuses it (409) whatever key the page holds. Two of
  // the three hold different items (overlap 2 lets at most two share one).
  const items = await Promise.all(labelers.map((l) => nextShown(l.page, "")));
  const holders = [[0, 1], [0, 2], [1, 2]].filter(([i, j]) => items[i] && items[j] && items[i] !== items[j]);
  assert.ok(holders.length > 0, "two annotators hold different items: " + JSON.stringify(items));
  const [x, y] = holders[0];
  const stolen = await labelers[x].page.evaluate(async ([item, key]) => {
    const r = await fetch("/label/api/submit", { method: "POST", headers: { Authorization: "Bearer " + key },
      body: JSON.stringify({ session: "pair", item, choice: "left", client_id: "steal-1" }) });
    return [r.status, (await r.json()).error.code];
  }, [items[y], keys[labelers[x].who]]);
  assert.deepEqual(stolen, [409, "not_leased"]);
  // The narrow window stacks the answers.
  const left = await labelers[2].page.locator("#answer-left").boundingBox();
  const right = await labelers[2].page.locator("#answer-right").boundingBox();
  assert.ok(right.y >= left.y + left.height - 1, "answers are not stacked on a narrow screen");
  await labelers[2].page.screenshot({ path: artifacts + "/label_page_narrow.png", fullPage: true });
  await Promise.all(labelers.map(async (l) => {
    let shown = await nextShown(l.page, "");
    while (shown) {
      l.seen.push(shown);
      await l.page.keyboard.press(String(1 + (l.seen.length % 4)));
      await l.page.keyboard.press("Enter");
      shown = await nextShown(l.page, shown);
    }
  }));
  for (const l of labelers) assert.equal(new Set(l.seen).size, l.seen.length, l.who + " saw an item twice");
  const pair = standing("pair");
  const perItem = {};
  for (const [id] of pair) perItem[id] = (perItem[id] || 0) + 1;
  assert.equal(Object.keys(perItem).length, 6);
  for (const [id, n] of Object.entries(perItem)) assert.equal(n, 2, id + " has " + n + " labels");
  for (const l of labelers) await l.ctx.close();

  // 3. The break reminder after the session's minute of work.
  const rest = await browser.newContext();
  await rest.clock.install();
  const rp = await rest.newPage();
  await signIn(rp, "rest", keys.eve);
  let shown = await nextShown(rp, "");
  await rp.keyboard.press("1");
  await rp.keyboard.press("Enter");
  shown = await nextShown(rp, shown);
  assert.ok(await rp.locator("#break").isHidden());
  // The page checks every 15 s; run the clock a tick at a time until the reminder shows, at
  // most three minutes (one check falls within 60-75 s of the minute's start whatever its
  // phase; under load a tick can come late). A failure prints what the page's clock said.
  let breakAfter = 0;
  while (breakAfter < 180 && await rp.locator("#break").isHidden()) {
    await rp.clock.runFor(15000);
    breakAfter += 15;
  }
  const breakState = await rp.evaluate(() => JSON.stringify({ now: Date.now(), since: state.workingSince,
    last: state.lastActive, shown: state.breakShown, minutes: state.info && state.info.break_minutes }));
  assert.ok(await rp.locator("#break").isVisible(), "no break reminder after " + breakAfter + " s: " + breakState);
  assert.match(await rp.textContent("#break-text"), /labeling for 1 minute/);
  await rp.click("#break-dismiss");
  assert.ok(await rp.locator("#break").isHidden());
  // Every action by mouse: B much better and submit, skip, undo (the judgment comes back).
  await rp.click("[data-choice=right]");
  await rp.click("#strong");
  assert.equal(await rp.getAttribute("[data-choice=right]", "aria-pressed"), "true");
  await rp.click("#submit");
  const r2 = shown;
  shown = await nextShown(rp, shown);
  await rp.click("#skip");
  shown = await nextShown(rp, shown);
  assert.equal(shown, null);  // r1 labeled, r2 labeled, r3 skipped
  await rp.click("#done-undo");
  await rp.waitForSelector("#done", { state: "hidden" });
  shown = await nextShown(rp, null);
  assert.equal(shown, r2);
  assert.ok(await rp.locator("#strong").isChecked());
  await rp.click("#help-button");
  assert.ok(await rp.locator("#help").isVisible());
  await rp.click("#help-close");
  const restLabels = standing("rest");
  assert.deepEqual(restLabels.map((d) => d[0]), ["r1"]);  // r2's label was undone
  await rest.close();

  // 4. The admin page.
  const admin = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
  await admin.goto(base + "/label/admin?session=pair");
  await admin.fill("#key", keys.ana);
  await admin.press("#key", "Enter");
  await admin.waitForFunction(() => document.getElementById("sign-in-error").textContent.length > 0);
  assert.match(await admin.textContent("#sign-in-error"), /not the admin key/);
  await admin.fill("#key", "admin-key-42");
  await admin.press("#key", "Enter");
  await admin.waitForSelector("#matrix svg");
  assert.match(await admin.textContent("#cards"), /12 \/ 12/);
  assert.equal(await admin.locator("#annotators tr").count(), 4);  // header + ben, chi, dan
  assert.equal(await admin.locator("#matrix svg rect").count(), 9);
  assert.equal(await admin.locator("#timeline svg path").count(), 4);  // all + three annotators
  await admin.screenshot({ path: artifacts + "/label_admin.png", fullPage: true });
  await admin.selectOption("#session", "pilot");
  await admin.waitForFunction(() => /10 \/ 11/.test(document.getElementById("cards").textContent));

  assert.deepEqual(external, [], "the pages made requests elsewhere or opened dialogs");
  console.log("browser label: keyboard session with SIGKILL, three annotators at overlap 2, break, admin; screenshots in " + artifacts);
} finally {
  await browser.close();
  if (server) server.kill("SIGKILL");
}
