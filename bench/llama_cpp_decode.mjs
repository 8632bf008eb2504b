// llama.cpp's greedy decoding speed on a GGUF file (node-llama-cpp@3.21.1's prebuilt CPU
// build, installed under tests/llama_cpp by scripts/setup): the peer of `chosei_bench
// generate` on the same weights. After a prompt of PROMPT ids (id k = 3 + (k * 7919) mod
// (VOCAB - 3), as chosei_bench feeds; the BOS alone when 0), the time from the first
// generated token to the TOKENS-th (EOS does not stop it), after a warm-up run, the best of 3. The time
// includes node-llama-cpp's per-token JavaScript step, which weighs on a tiny model only.
// KV is the cache's type: f16 (llama.cpp's default) or f32 (chosei's).
// usage: node llama_cpp_decode.mjs FILE.gguf TOKENS THREADS [PROMPT VOCAB KV] -> "tokens_per_s <x>"
const lib = new URL("../tests/llama_cpp/node_modules/node-llama-cpp/dist/index.js", import.meta.url);
const { getLlama, LlamaLogLevel } = await import(lib.href);

const [file, tokensArg, threadsArg, promptArg = "0", vocabArg = "0", kv = "f16"] = process.argv.slice(2);
const tokens = Number(tokensArg), threads = Number(threadsArg);
const P = Number(promptArg), V = Number(vocabArg);
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: file });
const context = await model.createContext({
  contextSize: Math.max(512, P + tokens + 16), batchSize: Math.max(512, P), threads, sequences: 1,
  experimentalKvCacheKeyType: kv.toUpperCase(), experimentalKvCacheValueType: kv.toUpperCase() });
const sequence = context.getSequence();
const prompt = P > 0 ? Array.from({ length: P }, (_, k) => 3 + ((k * 7919) % (V - 3))) : [model.tokens.bos ?? 0];

async function decode(n) {
  await sequence.clearHistory();
  let count = 0, t0 = 0n;
  for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
    void token;
    if (++count === 1) t0 = process.hrtime.bigint();
    if (count >= n) break;
  }
  return (n - 1) / (Number(process.hrtime.bigint() - t0) / 1e9);
}
await decode(8);
// The best of 3 runs, as chosei_bench generate takes.
let best = 0;
for (let rep = 0; rep < 3; ++rep) best = Math.max(best, await decode(tokens));
console.log(`tokens_per_s ${best.toFixed(1)}`);
await model.dispose();
await llama.dispose();
