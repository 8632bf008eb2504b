// Load generator for `chosei serve`: REQUESTS streaming chat completions, CONCURRENCY at a
// time, each asking for MAX_TOKENS. Prints completion tokens/s over the wall time and the
// per-request latency p50/p95 (seconds to the last chunk) and time to first token p50.
// ROUTE "completions" sends the same text to /v1/completions (base models without a chat
// template); the default is chat completions.
// usage: node serve_load.mjs BASE_URL MODEL CONCURRENCY REQUESTS MAX_TOKENS [chat|completions]
const [base, model, concurrency, requests, maxTokens, route = "chat"] = process.argv.slice(2);
const C = Number(concurrency), N = Number(requests);

async function one(i) {
  const t0 = performance.now();
  let first = null, usage = null;
  const text = `Request ${i}: tell me a story.`;
  const input = route === "completions" ? { prompt: text } : { messages: [{ role: "user", content: text }] };
  const r = await fetch(`${base}/v1/${route === "completions" ? "completions" : "chat/completions"}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model, ...input, stream: true, stream_options: { include_usage: true },
      temperature: 0.8, seed: i, max_tokens: Number(maxTokens) }),
  });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const part of r.body) {
    buffer += decoder.decode(part, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(6, cut);
      buffer = buffer.slice(cut + 2);
      if (event === "[DONE]") continue;
      const chunk = JSON.parse(event);
      if (chunk.usage) usage = chunk.usage;
      if (first === null && chunk.choices.some((c) => (c.delta && c.delta.content) || c.text)) first = performance.now();
    }
  }
  return { latency: (performance.now() - t0) / 1000, ttft: ((first ?? performance.now()) - t0) / 1000,
    tokens: usage ? usage.completion_tokens : 0 };
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const results = [];
let next = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: C }, async () => {
  while (next < N) results.push(await one(next++));
}));
const wall = (performance.now() - t0) / 1000;
const tokens = results.reduce((a, r) => a + r.tokens, 0);
const lat = results.map((r) => r.latency), ttft = results.map((r) => r.ttft);
console.log(`tokens_per_s ${(tokens / wall).toFixed(1)} p50_s ${pct(lat, 0.5).toFixed(3)} p95_s ${pct(lat, 0.95).toFixed(3)} ttft_p50_s ${pct(ttft, 0.5).toFixed(3)} tokens ${tokens} wall_s ${wall.toFixed(2)}`);
