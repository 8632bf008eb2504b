// llama.cpp's time to first token for a PROMPT-token prompt (node-llama-cpp@3.21.1's prebuilt
// CPU build): the peer of `chosei_bench prefill` on the same weights and the same ids
// (id k = 3 + (k * 7919) mod (VOCAB - 3)). Prompt processing plus the first sampled token,
// after one warm-up run, the best of 3; prompt tokens per second = PROMPT / that time.
// usage: node llama_cpp_prefill.mjs FILE.gguf PROMPT VOCAB THREADS -> "prompt_tokens_per_s <x> ttft_ms <y>"
const lib = new URL("../tests/llama_cpp/node_modules/node-llama-cpp/dist/index.js", import.meta.url);
const { getLlama, LlamaLogLevel } = await import(lib.href);

const [file, promptArg, vocabArg, threadsArg] = process.argv.slice(2);
const P = Number(promptArg), V = Number(vocabArg), threads = Number(threadsArg);
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: file });
const context = await model.createContext({ contextSize: P + 16, batchSize: P, threads, sequences: 1 });
const sequence = context.getSequence();
const ids = Array.from({ length: P }, (_, k) => 3 + ((k * 7919) % (V - 3)));

async function firstToken() {
  await sequence.clearHistory();
  for await (const token of sequence.evaluate(ids, { temperature: 0 })) return token;
}
await firstToken();
// The best of 3 timed runs, as chosei_bench prefill takes.
let seconds = Infinity;
for (let rep = 0; rep < 3; ++rep) {
  const t0 = process.hrtime.bigint();
  await firstToken();
  seconds = Math.min(seconds, Number(process.hrtime.bigint() - t0) / 1e9);
}
console.log(`prompt_tokens_per_s ${(P / seconds).toFixed(1)} ttft_ms ${(seconds * 1000).toFixed(2)}`);
await model.dispose();
await llama.dispose();
