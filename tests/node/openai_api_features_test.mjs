// The OpenAI API beyond plain chat, through the official `openai` npm client against
// `chosei serve` (started by tests/cli/serve_openai.sh): n choices, log-probabilities,
// response_format by constrained decoding (ajv as the independent JSON Schema validator),
// legacy completions on a base model, and unsupported parameters refused by name.
// usage: node openai_api_features_test.mjs BASE_URL API_KEY TRAINED RAW BASE OUT_JSON RAW_URL
// RAW_URL serves RAW without filters (no key).
// OUT_JSON receives greedy legacy completions with log-probabilities, which
// tests/reference/logprobs_reference.py recomputes with PyTorch.
import OpenAI from "openai";
import Ajv from "ajv";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";

const [baseURL, apiKey, trained, raw, base, outJson, rawURL] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const unfiltered = new OpenAI({ baseURL: rawURL, apiKey: "none", maxRetries: 0 });
let passed = 0;
async function check(name, fn) {
  await fn();
  passed++;
  console.log(`ok  ${name}`);
}
const ask = (model, content, extra = {}) => ({
  model, messages: [{ role: "user", content }], max_tokens: 24, ...extra,
});
const utf8 = (bytes) => Buffer.from(bytes).toString("utf8");

await check("n: 3 gives 3 choices, choice i as seed + i alone, usage summed", async () => {
  const r = await client.chat.completions.create(ask(trained, "How do I return a kettle?",
    { n: 3, seed: 7, temperature: 1 }));
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1, 2]);
  let tokens = 0;
  for (let i = 0; i < 3; i++) {
    const one = await client.chat.completions.create(ask(trained, "How do I return a kettle?",
      { seed: 7 + i, temperature: 1 }));
    assert.equal(r.choices[i].message.content, one.choices[0].message.content, `choice ${i}`);
    tokens += one.usage.completion_tokens;
    assert.equal(r.usage.prompt_tokens, one.usage.prompt_tokens);
  }
  assert.equal(r.usage.completion_tokens, tokens);
});

await check("n: 3 streamed: each index streams its own text to its own finish", async () => {
  const whole = await client.chat.completions.create(ask(trained, "How do I return a kettle?",
    { n: 3, seed: 11, temperature: 1 }));
  const stream = await client.chat.completions.create(ask(trained, "How do I return a kettle?",
    { n: 3, seed: 11, temperature: 1, stream: true, stream_options: { include_usage: true } }));
  const texts = ["", "", ""], finishes = [null, null, null];
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      texts[c.index] += c.delta.content ?? "";
      finishes[c.index] = c.finish_reason ?? finishes[c.index];
    }
  }
  assert.deepEqual(texts, whole.choices.map((c) => c.message.content));
  assert.deepEqual(finishes, whole.choices.map((c) => c.finish_reason));
  assert.equal(usage.completion_tokens, whole.usage.completion_tokens);
});

await check("n above serve --max-n is a BadRequestError naming n", async () => {
  await assert.rejects(client.chat.completions.create(ask(trained, "hi", { n: 50 })),
    (e) => e instanceof OpenAI.BadRequestError && e.param === "n");
});

let greedyLogprobs;
await check("logprobs: one entry per token, bytes spell the text, greedy = top alternative", async () => {
  const r = await client.chat.completions.create(ask(trained, "How do I return a kettle?",
    { temperature: 0, logprobs: true, top_logprobs: 3 }));
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, r.usage.completion_tokens);
  assert.equal(utf8(content.flatMap((t) => t.bytes)), r.choices[0].message.content);
  for (const t of content) {
    assert.ok(t.logprob <= 0 && t.top_logprobs.length === 3, JSON.stringify(t));
    assert.equal(t.top_logprobs[0].logprob, t.logprob);
    assert.equal(t.top_logprobs[0].token, t.token);
    for (let k = 1; k < 3; k++) assert.ok(t.top_logprobs[k].logprob <= t.top_logprobs[k - 1].logprob);
  }
  greedyLogprobs = content;
});

await check("logprobs streamed equal the whole answer's", async () => {
  const stream = await client.chat.completions.create(ask(trained, "How do I return a kettle?",
    { temperature: 0, logprobs: true, top_logprobs: 3, stream: true }));
  const content = [];
  for await (const chunk of stream)
    for (const c of chunk.choices) if (c.logprobs?.content) content.push(...c.logprobs.content);
  assert.deepEqual(content, greedyLogprobs);
});

await check("legacy completions' greedy log-probabilities (recomputed in PyTorch later)", async () => {
  const cases = [];
  for (const prompt of [[5, 17, 42, 9], [1, 2, 3], [30, 31, 32, 33, 34, 35]]) {
    const r = await client.completions.create({ model: trained, prompt, max_tokens: 10,
      temperature: 0, logprobs: 5 });
    const lp = r.choices[0].logprobs;
    assert.equal(lp.tokens.length, r.usage.completion_tokens);
    assert.equal(lp.tokens.join(""), r.choices[0].text);
    // echo with max_tokens 0 scores the prompt itself (lm-eval's loglikelihood requests).
    const scored = await client.completions.create({ model: trained, prompt, max_tokens: 0,
      echo: true, logprobs: 2 });
    const s = scored.choices[0].logprobs;
    assert.equal(s.tokens.length, prompt.length);
    assert.equal(s.token_logprobs[0], null);
    assert.equal(scored.usage.completion_tokens, 0);
    cases.push({ prompt, token_logprobs: lp.token_logprobs,
      top_logprobs: lp.top_logprobs.map((t) => Object.values(t).sort((a, b) => b - a)),
      prompt_logprobs: s.token_logprobs.slice(1) });
  }
  writeFileSync(outJson, JSON.stringify(cases));
});

const schema = {
  type: "object",
  properties: {
    name: { type: "string", maxLength: 12 },
    age: { type: "integer", minimum: 0 },
    plan: { enum: ["free", "pro", "team"] },
    scores: { type: "array", items: { type: "number" }, maxItems: 3 },
    active: { type: "boolean" },
    address: { type: "object", properties: { city: { type: "string" }, zip: { type: ["string", "null"] } },
      required: ["city", "zip"], additionalProperties: false },
  },
  required: ["name", "age", "plan", "scores", "active", "address"],
  additionalProperties: false,
};
await check("json_schema from a random-weight model parses and validates 100 of 100", async () => {
  const validate = new Ajv({ strict: true }).compile(schema);
  let valid = 0;
  for (let call = 0; call < 25; call++) {
    const r = await unfiltered.chat.completions.create(ask(raw, "Describe a customer.", {
      n: 4, seed: 1000 + 4 * call, temperature: 1, max_tokens: 200,
      response_format: { type: "json_schema", json_schema: { name: "customer", strict: true, schema } },
    }));
    for (const c of r.choices) {
      const value = JSON.parse(c.message.content);
      assert.ok(validate(value), `${c.message.content}: ${JSON.stringify(validate.errors)}`);
      assert.equal(c.finish_reason, "stop");
      valid++;
    }
  }
  assert.equal(valid, 100);
});

await check("json_object from a random-weight model is a JSON object, streamed too", async () => {
  for (let i = 0; i < 5; i++) {
    const stream = await unfiltered.chat.completions.create(ask(raw, "hi", { temperature: 1, seed: i,
      max_tokens: 60, stream: true, response_format: { type: "json_object" } }));
    let text = "";
    for await (const chunk of stream) for (const c of chunk.choices) text += c.delta.content ?? "";
    const value = JSON.parse(text);
    assert.ok(value && typeof value === "object" && !Array.isArray(value), text);
  }
});

await check("through the output filters a JSON answer is valid JSON or ends content_filter", async () => {
  let filtered = 0;
  for (let call = 0; call < 5; call++) {
    const r = await client.chat.completions.create(ask(raw, "Describe a customer.", {
      n: 4, seed: 1000 + 4 * call, temperature: 1, max_tokens: 200,
      response_format: { type: "json_schema", json_schema: { name: "customer", schema } } }));
    for (const c of r.choices) {
      if (c.finish_reason === "content_filter") filtered++;
      else JSON.parse(c.message.content);
    }
  }
  console.log(`    (${filtered} of 20 ended content_filter)`);
});

await check("an unsupported schema feature is a BadRequestError naming it", async () => {
  await assert.rejects(client.chat.completions.create(ask(raw, "hi", {
    response_format: { type: "json_schema", json_schema: { name: "x",
      schema: { type: "object", properties: { id: { type: "string", pattern: "^[a-z]+$" } } } } } })),
  (e) => e instanceof OpenAI.BadRequestError && e.param === "response_format.json_schema.schema" &&
    e.message.includes("pattern") && e.message.includes("/properties/id/pattern"));
});

await check("completions.create on a base model: text, usage, echo, several prompts, streaming", async () => {
  const r = await client.completions.create({ model: base, prompt: "Once upon a time", max_tokens: 16,
    temperature: 0 });
  assert.equal(r.object, "text_completion");
  assert.ok(r.choices[0].text.length > 0 && r.usage.completion_tokens === 16, JSON.stringify(r));
  const echoed = await client.completions.create({ model: base, prompt: "Once upon a time", max_tokens: 16,
    temperature: 0, echo: true });
  assert.equal(echoed.choices[0].text, "Once upon a time" + r.choices[0].text);
  const many = await client.completions.create({ model: base, prompt: ["Once upon a time", "Lily saw"],
    max_tokens: 8, n: 2, temperature: 0 });
  assert.deepEqual(many.choices.map((c) => c.index), [0, 1, 2, 3]);
  assert.equal(many.choices[1].text, many.choices[0].text);
  assert.notEqual(many.choices[2].text, many.choices[0].text);
  const stream = await client.completions.create({ model: base, prompt: "Once upon a time", max_tokens: 16,
    temperature: 0, stream: true });
  let text = "", finish = null;
  for await (const chunk of stream) for (const c of chunk.choices) {
    text += c.text;
    finish = c.finish_reason ?? finish;
  }
  assert.equal(text, r.choices[0].text);
  assert.equal(finish, "length");
});

await check("a base model answers chat with a 400 that says it has no template", async () => {
  await assert.rejects(client.chat.completions.create(ask(base, "hi")),
    (e) => e instanceof OpenAI.BadRequestError && e.code === "no_chat_template");
});

await check("suffix and unknown parameters are BadRequestErrors naming them", async () => {
  await assert.rejects(client.completions.create({ model: base, prompt: "a", suffix: "b" }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === "suffix");
  await assert.rejects(client.chat.completions.create(ask(trained, "hi", { logit_bias: { "5": 10 } })),
    (e) => e instanceof OpenAI.BadRequestError && e.param === "logit_bias");
  await assert.rejects(client.chat.completions.create(ask(trained, "hi", { frobnicate: true })),
    (e) => e instanceof OpenAI.BadRequestError && e.param === "frobnicate");
});

console.log(`${passed} passed`);
