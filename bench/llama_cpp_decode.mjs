// llama.cpp's greedy decoding speed on a GGUF file (node-llama-cpp@3.21.1's prebuilt CPU
// build, installed under tests/llama_cpp by scripts/setup): the peer of `chosei_bench
// generate` on the same weights. From the BOS token, TOKENS tokens one at a time (EOS does
// not stop it, as chosei_bench ignores it), after 8 warm-up tokens; the time includes
// node-llama-cpp's per-token JavaScript step, which weighs on a tiny model only.
// usage: node llama_cpp_decode.mjs FILE.gguf TOKENS THREADS -> "tokens_per_s <x>"
const lib = new URL("../tests/llama_cpp/node_modules/node-llama-cpp/dist/index.js", import.meta.url);
const { getLlama, LlamaLogLevel } = await import(lib.href);

const [file, tokensArg, threadsArg] = process.argv.slice(2);
const tokens = Number(tokensArg), threads = Number(threadsArg);
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: file });
const context = await model.createContext({ contextSize: Math.max(512, tokens + 16), threads, sequences: 1 });
const sequence = context.getSequence();
const bos = model.tokens.bos ?? 0;

async function decode(n) {
  await sequence.clearHistory();
  let count = 0;
  for await (const token of sequence.evaluate([bos], { temperature: 0 })) {
    void token;
    if (++count >= n) break;
  }
  return count;
}
await decode(8);
const t0 = process.hrtime.bigint();
const n = await decode(tokens);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`tokens_per_s ${(n / seconds).toFixed(1)}`);
await model.dispose();
await llama.dispose();
