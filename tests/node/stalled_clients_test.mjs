// Stalled and idle clients do not starve the server: 200 uploads that stop mid-body and 200
// idle keep-alive connections (from ten loopback addresses, 40 each, under the per-client
// limit) are held open while a fresh client asks /health, a chat completion and 16 concurrent
// streams; then one address goes over its limit and gets 503 with Retry-After; then every
// connection is closed and the server's count of open connections falls back.
// usage: node stalled_clients_test.mjs BASE_URL MODEL PER_CLIENT_LIMIT
import assert from "node:assert/strict";
import net from "node:net";

const [base, model, perClient] = process.argv.slice(2);
const { hostname, port } = new URL(base);
const sockets = [];

function connect(localAddress) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: hostname, port: Number(port), localAddress }, () => resolve(s));
    s.on("error", reject);
    sockets.push(s);
  });
}

// Reads until the head of one response is in; resolves with it.
function responseHead(s) {
  return new Promise((resolve) => {
    let got = "";
    const on = (d) => {
      got += d.toString("latin1");
      const end = got.indexOf("\r\n\r\n");
      if (end >= 0) {
        s.off("data", on);
        resolve(got.slice(0, end));
      }
    };
    s.on("data", on);
  });
}

async function metric(name) {
  const text = await (await fetch(base + "/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith(name + " "));
  return line ? Number(line.split(" ")[1]) : NaN;
}

async function timed(what, f) {
  const t = performance.now();
  const r = await f();
  console.log(`${what}: ${(performance.now() - t).toFixed(0)} ms`);
  return r;
}

const address = (i) => `127.0.0.${2 + (i % 10)}`;
for (let i = 0; i < 200; ++i) {
  const s = await connect(address(i));
  s.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`);
}
for (let i = 0; i < 200; ++i) {
  const s = await connect(address(i));
  const head = responseHead(s);
  s.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.match(await head, /^HTTP\/1\.1 200 /);
}
await new Promise((r) => setTimeout(r, 300));
assert.ok((await metric('chosei_http_connections{state="reading"}')) >= 200, "the stalled uploads are reading");
assert.ok((await metric('chosei_http_connections{state="idle"}')) >= 200, "the kept-alive connections are idle");
console.log("ok  400 stalled and idle connections are open");

const health = await timed("GET /health beside them", () => fetch(base + "/health"));
assert.equal(health.status, 200);
const chat = await timed("a chat completion beside them", async () =>
  (await fetch(base + "/v1/chat/completions", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "How do I return a kettle?" }], max_tokens: 8, temperature: 0 }),
  })).json());
assert.equal(chat.choices[0].message.role, "assistant");
assert.ok(chat.usage.completion_tokens > 0 && chat.usage.completion_tokens <= 8);
console.log("ok  a fresh client is answered while they stall");

async function stream(i) {
  const r = await fetch(base + "/v1/chat/completions", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model, stream: true, stream_options: { include_usage: true }, max_tokens: 12, seed: i, temperature: 1,
      messages: [{ role: "user", content: "How do I return a kettle?" }] }),
  });
  const text = await r.text();
  const events = text.split("\n\n").filter((e) => e.startsWith("data: ") && e !== "data: [DONE]").map((e) => JSON.parse(e.slice(6)));
  const usage = events.at(-1).usage;
  const pieces = events.filter((e) => e.choices?.[0]?.delta?.content).length;
  assert.ok(text.trimEnd().endsWith("data: [DONE]"));
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  assert.ok(usage.completion_tokens >= pieces && usage.completion_tokens > 0 && usage.completion_tokens <= 12);
}
await timed("16 concurrent streams beside them", () => Promise.all(Array.from({ length: 16 }, (_, i) => stream(i))));
console.log("ok  16 concurrent streams complete with their usage");

const crowd = [];
for (let i = 0; i < Number(perClient); ++i) crowd.push(await connect("127.0.0.99"));
const over = await connect("127.0.0.99");
const head = responseHead(over);
over.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
const refused = await head;
assert.match(refused, /^HTTP\/1\.1 503 /);
assert.match(refused, /\r\nRetry-After: 1/i);
assert.ok((await metric("chosei_http_connections_refused_total")) >= 1);
console.log(`ok  connection ${Number(perClient) + 1} from one address is answered 503 with Retry-After`);

for (const s of sockets) s.destroy();
let open = NaN;
for (let i = 0; i < 100; ++i) {
  open = await metric("chosei_http_connections_open");
  if (open <= 2) break;
  await new Promise((r) => setTimeout(r, 100));
}
assert.ok(open <= 2, `connections still open after the clients left: ${open}`);
console.log("ok  every connection is released when the clients leave");
