// Tool calling through the official `openai` npm client against `chosei serve` running a
// model fine-tuned on LLaMA-Factory's glaive tool-calling demo (tests/cli/tool_calls_end_to_end.sh):
// a forced call validates against the function's parameters (ajv), the round trip of call,
// tool result and answer, streamed call deltas, auto and none.
// usage: node tool_calls_test.mjs BASE_URL MODEL GLAIVE_JSON
import OpenAI from "openai";
import Ajv from "ajv";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const [baseURL, model, glaive] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "none", maxRetries: 0 });
let passed = 0;
async function check(name, fn) {
  await fn();
  passed++;
  console.log(`ok  ${name}`);
}

// The first demo conversation's function, in OpenAI's tools shape.
const example = JSON.parse(readFileSync(glaive, "utf8"))[0];
const fn = JSON.parse(example.tools)[0];
const tools = [{ type: "function", function: fn }];
const question = example.conversations.find((t) => t.from === "human" && /chicken/.test(t.value)).value;
const validate = new Ajv({ strict: false }).compile(fn.parameters);
const messages = [{ role: "user", content: question }];

let call;
await check("tool_choice required: a call to a listed function whose arguments validate", async () => {
  const r = await client.chat.completions.create({ model, messages, tools, tool_choice: "required",
    temperature: 0, max_tokens: 120 });
  const c = r.choices[0];
  assert.equal(c.finish_reason, "tool_calls");
  assert.equal(c.message.content, null);
  assert.ok(c.message.tool_calls.length >= 1);
  call = c.message.tool_calls[0];
  assert.equal(call.type, "function");
  assert.ok(call.id.startsWith("call_"));
  assert.equal(call.function.name, fn.name);
  const args = JSON.parse(call.function.arguments);
  assert.ok(validate(args), `${call.function.arguments}: ${JSON.stringify(validate.errors)}`);
});

await check("a named tool_choice, streamed: the deltas assemble into the same call", async () => {
  const named = { type: "function", function: { name: fn.name } };
  const whole = await client.chat.completions.create({ model, messages, tools, tool_choice: named,
    temperature: 0, max_tokens: 120 });
  const stream = await client.chat.completions.create({ model, messages, tools, tool_choice: named,
    temperature: 0, max_tokens: 120, stream: true });
  const calls = [];
  let finish = null;
  for await (const chunk of stream) for (const c of chunk.choices) {
    finish = c.finish_reason ?? finish;
    for (const d of c.delta.tool_calls ?? []) {
      calls[d.index] ??= { name: "", arguments: "" };
      calls[d.index].name += d.function?.name ?? "";
      calls[d.index].arguments += d.function?.arguments ?? "";
    }
  }
  assert.equal(finish, "tool_calls");
  assert.deepEqual(calls, whole.choices[0].message.tool_calls.map((c) => ({
    name: c.function.name, arguments: c.function.arguments })));
});

await check("the round trip: call, the tool's result, an answer", async () => {
  const result = example.conversations.find((t) => t.from === "observation").value;
  const r = await client.chat.completions.create({ model, tools, temperature: 0, max_tokens: 40,
    messages: [...messages, { role: "assistant", content: null, tool_calls: [call] },
      { role: "tool", tool_call_id: call.id, content: result }] });
  const c = r.choices[0];
  assert.ok(["stop", "length", "tool_calls"].includes(c.finish_reason), c.finish_reason);
  if (c.finish_reason !== "tool_calls") assert.ok(c.message.content.length > 0);
  console.log(`    answer after the tool result: ${JSON.stringify(c.message.content ?? c.message.tool_calls)}`);
});

await check("tool_choice auto: prose, or calls that validate", async () => {
  let calls = 0;
  for (let seed = 0; seed < 6; seed++) {
    const r = await client.chat.completions.create({ model, messages, tools, temperature: 0.7, seed,
      max_tokens: 120 });
    const c = r.choices[0];
    if (c.finish_reason === "tool_calls") {
      calls++;
      for (const t of c.message.tool_calls) {
        assert.equal(t.function.name, fn.name);
        assert.ok(validate(JSON.parse(t.function.arguments)), t.function.arguments);
      }
    } else {
      assert.equal(c.message.tool_calls, undefined);
    }
  }
  console.log(`    ${calls} of 6 auto answers were calls`);
});

await check("tool_choice none: never a call", async () => {
  const r = await client.chat.completions.create({ model, messages, tools, tool_choice: "none",
    temperature: 0, max_tokens: 30 });
  assert.notEqual(r.choices[0].finish_reason, "tool_calls");
});

await check("a function with an unsupported parameters schema is a BadRequestError naming it", async () => {
  const bad = [{ type: "function", function: { name: "f", parameters: { type: "object",
    properties: { id: { type: "string", format: "uuid" } } } } }];
  await assert.rejects(client.chat.completions.create({ model, messages, tools: bad, tool_choice: "required" }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === "tools[0].function.parameters" &&
      e.message.includes("format"));
});

console.log(`${passed} passed`);
