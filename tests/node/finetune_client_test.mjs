// The official `openai` npm client runs the hosted fine-tuning workflow against
// `chosei serve --data-dir` (started by tests/cli/finetune_api.sh): files.create ->
// fine_tuning.jobs.create (supervised, then dpo from the fine-tuned model) -> polling
// retrieve -> listEvents and checkpoints.list with auto-pagination -> chat.completions with
// the ft: model -> models.delete; a bad file and a job on it; keys that see only their own.
// usage: node finetune_client_test.mjs BASE_URL KEY OTHER_KEY ADMIN_KEY BASE_MODEL DATA_DIR
// DATA_DIR holds train.jsonl and val.jsonl (chat), prefs.jsonl (DPO) and bad.jsonl (line 3
// broken).
import OpenAI from "openai";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const [baseURL, key, otherKey, adminKey, baseModel, dataDir] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: key, maxRetries: 0 });
const other = new OpenAI({ baseURL, apiKey: otherKey, maxRetries: 0 });
const admin = new OpenAI({ baseURL, apiKey: adminKey, maxRetries: 0 });
let passed = 0;
async function check(name, fn) {
  await fn();
  passed++;
  console.log(`ok  ${name}`);
}
const upload = (c, name) =>
  c.files.create({ file: fs.createReadStream(path.join(dataDir, name)), purpose: "fine-tune" });
const terminal = ["succeeded", "failed", "cancelled"];
async function finished(id, seconds = 600) {
  const seen = [];
  for (const end = Date.now() + seconds * 1000; Date.now() < end;) {
    const job = await client.fineTuning.jobs.retrieve(id);
    if (seen.at(-1) !== job.status) seen.push(job.status);
    if (terminal.includes(job.status)) return { job, seen };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`job ${id} did not finish in ${seconds} s (statuses ${seen})`);
}
const all = async (page) => {
  const out = [];
  for await (const x of page) out.push(x);
  return out;
};

let train, prefs, val;
await check("files.create validates a chat file: processed", async () => {
  train = await upload(client, "train.jsonl");
  assert.equal(train.object, "file");
  assert.match(train.id, /^file-/);
  assert.equal(train.filename, "train.jsonl");
  assert.equal(train.purpose, "fine-tune");
  assert.equal(train.bytes, fs.statSync(path.join(dataDir, "train.jsonl")).size);
  assert.equal(train.status, "processed", train.status_details);
  const waited = await client.files.waitForProcessing(train.id);
  assert.equal(waited.status, "processed");
  prefs = await upload(client, "prefs.jsonl");
  assert.equal(prefs.status, "processed", prefs.status_details);
  val = await upload(client, "val.jsonl");
  assert.equal(val.status, "processed", val.status_details);
});

let bad;
await check("a bad file ends in status error with the line named", async () => {
  bad = await upload(client, "bad.jsonl");
  assert.equal(bad.status, "error");
  assert.match(bad.status_details, /bad\.jsonl:3: /, bad.status_details);
});

await check("files.content returns the bytes uploaded", async () => {
  const text = await (await client.files.content(train.id)).text();
  assert.equal(text, fs.readFileSync(path.join(dataDir, "train.jsonl"), "utf8"));
});

await check("files.list paginates (limit 1) newest first; another key sees none", async () => {
  const ids = (await all(await client.files.list({ limit: 1 }))).map((f) => f.id);
  assert.deepEqual(ids, [bad.id, val.id, prefs.id, train.id]);
  const asc = (await all(await client.files.list({ order: "asc" }))).map((f) => f.id);
  assert.deepEqual(asc, [train.id, prefs.id, val.id, bad.id]);
  assert.equal((await all(await other.files.list())).length, 0);
  await assert.rejects(other.files.retrieve(train.id), (e) => e instanceof OpenAI.NotFoundError);
  await assert.rejects(other.files.content(train.id), (e) => e instanceof OpenAI.NotFoundError);
  const adminIds = (await all(await admin.files.list())).map((f) => f.id);
  assert.ok(ids.every((id) => adminIds.includes(id)));
});

const hyper = { n_epochs: 2, batch_size: 4, learning_rate_multiplier: 20 };
let sft;
await check("jobs.create (supervised) with an Idempotency-Key answers the same job twice", async () => {
  const body = {
    model: baseModel, training_file: train.id, validation_file: val.id, suffix: "kumo", seed: 7,
    metadata: { team: "support" }, method: { type: "supervised", supervised: { hyperparameters: hyper } },
  };
  sft = await client.fineTuning.jobs.create(body, { headers: { "Idempotency-Key": "sft-once" } });
  assert.equal(sft.object, "fine_tuning.job");
  assert.match(sft.id, /^ftjob-/);
  assert.ok(["validating_files", "queued", "running"].includes(sft.status), sft.status);
  for (const k of ["finished_at", "fine_tuned_model", "trained_tokens", "error", "estimated_finish"])
    assert.ok(k in sft, k);
  const again = await client.fineTuning.jobs.create(body, { headers: { "Idempotency-Key": "sft-once" } });
  assert.equal(again.id, sft.id);
});

await check("a job on a bad file fails with error.param", async () => {
  const job = await client.fineTuning.jobs.create({ model: baseModel, training_file: bad.id });
  const { job: done } = await finished(job.id);
  assert.equal(done.status, "failed");
  assert.equal(done.error.param, "training_file");
  assert.match(done.error.message, /bad\.jsonl:3/);
  assert.ok(done.finished_at >= done.created_at);
});

await check("an unknown file or model is refused at create", async () => {
  await assert.rejects(client.fineTuning.jobs.create({ model: baseModel, training_file: "file-nope" }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === "training_file");
  await assert.rejects(client.fineTuning.jobs.create({ model: "nope", training_file: train.id }),
    (e) => e instanceof OpenAI.NotFoundError);
  await assert.rejects(other.fineTuning.jobs.create({ model: baseModel, training_file: train.id }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === "training_file");
  await assert.rejects(client.fineTuning.jobs.create({
    model: baseModel, training_file: train.id,
    method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 0 } } },
  }), (e) => e instanceof OpenAI.BadRequestError &&
    e.param === "method.supervised.hyperparameters.n_epochs");
});

let model;
await check("the supervised job runs to succeeded with its numbers resolved", async () => {
  const { job, seen } = await finished(sft.id);
  assert.equal(job.status, "succeeded", JSON.stringify(job.error));
  assert.ok(seen.includes("running"), String(seen));
  model = job.fine_tuned_model;
  assert.match(model, new RegExp(`^ft:${baseModel}:org-[0-9a-f]{12}:kumo:[A-Za-z0-9]{8}$`));
  assert.deepEqual(job.method.supervised.hyperparameters, hyper);
  assert.equal(job.hyperparameters.n_epochs, 2);
  assert.ok(job.trained_tokens > 0);
  assert.equal(job.result_files.length, 1);
  const csv = await (await client.files.content(job.result_files[0])).text();
  assert.match(csv.split("\n")[0], /^step,train_loss,train_accuracy/);
  const result = await client.files.retrieve(job.result_files[0]);
  assert.equal(result.purpose, "fine-tune-results");
});

await check("listEvents auto-paginates: created ... metrics per step ... succeeded", async () => {
  const events = await all(await client.fineTuning.jobs.listEvents(sft.id, { limit: 3 }));
  const ids = new Set(events.map((e) => e.id));
  assert.equal(ids.size, events.length, "an event was listed twice");
  const messages = events.map((e) => e.message).reverse();  // newest first
  assert.match(messages[0], /^Created fine-tuning job/);
  assert.ok(messages.includes("Fine-tuning job started"));
  assert.equal(messages.at(-1), "The job has successfully completed");
  const all_metrics = events.filter((e) => e.type === "metrics").map((e) => e.data).reverse();
  const metrics = all_metrics.filter((m) => "train_loss" in m);
  const steps = metrics.map((m) => m.step);
  // 24 examples, batch 4, 2 epochs: 12 steps, each once.
  assert.deepEqual(steps, Array.from({ length: 12 }, (_, i) => i + 1));
  for (const m of metrics) {
    assert.ok(m.train_loss > 0 && m.train_mean_token_accuracy >= 0 && m.train_mean_token_accuracy <= 1, JSON.stringify(m));
    assert.equal(m.total_steps, 12);
  }
  assert.ok(metrics.at(-1).train_loss < metrics[0].train_loss, "the loss did not fall");
  // The validation file is evaluated at the start and after each epoch.
  const valid = all_metrics.filter((m) => "valid_loss" in m);
  assert.deepEqual(valid.map((m) => m.step), [0, 6, 12]);
  for (const m of valid) assert.ok(m.valid_loss > 0 && m.valid_mean_token_accuracy >= 0, JSON.stringify(m));
  assert.ok(valid.at(-1).valid_loss < valid[0].valid_loss, "the validation loss did not fall");
  for (const e of events) assert.ok(["info", "warn", "error"].includes(e.level));
});

await check("checkpoints.list auto-paginates: one per epoch, with metrics and a model id", async () => {
  const cps = await all(await client.fineTuning.jobs.checkpoints.list(sft.id, { limit: 1 }));
  assert.deepEqual(cps.map((c) => c.step_number).sort((a, b) => a - b), [6, 12]);
  for (const c of cps) {
    assert.equal(c.object, "fine_tuning.job.checkpoint");
    assert.equal(c.fine_tuning_job_id, sft.id);
    assert.equal(c.fine_tuned_model_checkpoint, `${model}:ckpt-step-${c.step_number}`);
    assert.equal(c.metrics.step, c.step_number);
    assert.ok(c.metrics.train_loss > 0 && c.metrics.valid_loss > 0, JSON.stringify(c.metrics));
  }
});

await check("jobs.list: newest first, metadata filter, other keys see none", async () => {
  const jobs = await all(await client.fineTuning.jobs.list({ limit: 1 }));
  assert.equal(jobs.length, 2);
  assert.ok(jobs[0].created_at >= jobs[1].created_at);
  const tagged = await all(await client.fineTuning.jobs.list({ metadata: { team: "support" } }));
  assert.deepEqual(tagged.map((j) => j.id), [sft.id]);
  assert.equal((await all(await other.fineTuning.jobs.list())).length, 0);
  await assert.rejects(other.fineTuning.jobs.retrieve(sft.id), (e) => e instanceof OpenAI.NotFoundError);
  await assert.rejects(other.fineTuning.jobs.listEvents(sft.id), (e) => e instanceof OpenAI.NotFoundError);
  assert.equal((await admin.fineTuning.jobs.retrieve(sft.id)).id, sft.id);
});

await check("the ft: model is served at once, to its key only", async () => {
  const ids = (await all(await client.models.list())).map((m) => m.id);
  assert.ok(ids.includes(model) && ids.includes(baseModel), String(ids));
  const r = await client.chat.completions.create({
    model, messages: [{ role: "user", content: "When does order 3 ship?" }], temperature: 0, max_tokens: 16,
  });
  assert.equal(r.model, model);
  assert.ok(r.choices[0].message.content.length > 0);
  assert.ok(!(await all(await other.models.list())).map((m) => m.id).includes(model));
  await assert.rejects(other.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] }),
    (e) => e instanceof OpenAI.NotFoundError);
});

let dpo;
await check("a dpo job from the fine-tuned model succeeds", async () => {
  dpo = await client.fineTuning.jobs.create({
    model, training_file: prefs.id, suffix: "kumo-dpo",
    method: { type: "dpo", dpo: { hyperparameters: { n_epochs: 1, batch_size: 4, beta: 0.2 } } },
  });
  const { job } = await finished(dpo.id);
  assert.equal(job.status, "succeeded", JSON.stringify(job.error));
  assert.match(job.fine_tuned_model, new RegExp(`^ft:${baseModel}:org-[0-9a-f]{12}:kumo-dpo:`));
  assert.equal(job.method.dpo.hyperparameters.beta, 0.2);
  const metrics = (await all(await client.fineTuning.jobs.listEvents(dpo.id))).filter((e) => e.type === "metrics");
  assert.ok(metrics.length >= 1 && metrics.every((e) => e.data.train_loss > 0));
  const r = await client.chat.completions.create({
    model: job.fine_tuned_model, messages: [{ role: "user", content: "Where is my order?" }], max_tokens: 8,
    temperature: 0,  // greedy: a sampled first token could be the end of the answer
  });
  assert.ok(r.usage.completion_tokens > 0);
});

await check("a dpo job on chat data fails naming the file", async () => {
  const job = await client.fineTuning.jobs.create({ model: baseModel, training_file: train.id, method: { type: "dpo" } });
  const { job: done } = await finished(job.id);
  assert.equal(done.status, "failed");
  assert.equal(done.error.param, "training_file");
});

await check("cancel: a queued or running job ends cancelled; cancelling again is a 409", async () => {
  const job = await client.fineTuning.jobs.create({
    model: baseModel, training_file: train.id,
    method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 50, batch_size: 1 } } },
  });
  const cancelled = await client.fineTuning.jobs.cancel(job.id);
  assert.equal(cancelled.status, "cancelled");
  assert.equal((await client.fineTuning.jobs.retrieve(job.id)).status, "cancelled");
  await assert.rejects(client.fineTuning.jobs.cancel(job.id), (e) => e instanceof OpenAI.ConflictError);
  await assert.rejects(other.fineTuning.jobs.cancel(sft.id), (e) => e instanceof OpenAI.NotFoundError);
});

await check("models.delete removes the ft: model; others' and served ones are refused", async () => {
  await assert.rejects(other.models.delete(model), (e) => e instanceof OpenAI.NotFoundError);
  await assert.rejects(client.models.delete(baseModel), (e) => e instanceof OpenAI.PermissionDeniedError);
  const gone = await client.models.delete(model);
  assert.deepEqual(gone, { id: model, object: "model", deleted: true });
  assert.ok(!(await all(await client.models.list())).map((m) => m.id).includes(model));
  await assert.rejects(client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] }),
    (e) => e instanceof OpenAI.NotFoundError);
  await assert.rejects(client.models.delete(model), (e) => e instanceof OpenAI.NotFoundError);
});

await check("files.delete removes a file and its content", async () => {
  await assert.rejects(other.files.delete(bad.id), (e) => e instanceof OpenAI.NotFoundError);
  const gone = await client.files.delete(bad.id);
  assert.deepEqual(gone, { id: bad.id, object: "file", deleted: true });
  await assert.rejects(client.files.retrieve(bad.id), (e) => e instanceof OpenAI.NotFoundError);
});

console.log(`${passed} passed`);
