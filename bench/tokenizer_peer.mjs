// Peer for chosei's tokenizer benchmarks: Hugging Face tokenizers (npm, Rust core).
//   node tokenizer_peer.mjs encode TOKENIZER_JSON FILE  -> "encode_mb_per_s <x> tokens <n>"
//   node tokenizer_peer.mjs train FILE                   -> "train_seconds <x> vocab <n>"
// Encoding goes line by line in batches (encodeBatch runs on the library's thread pool).
import fs from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(new URL("../tests/node/package.json", import.meta.url));
const { Tokenizer } = require("tokenizers");

const [cmd, a, b] = process.argv.slice(2);
if (cmd === "encode") {
  const tok = Tokenizer.fromFile(a);
  const text = fs.readFileSync(b, "utf8");
  const lines = text.split(/(?<=\n)/);
  const t0 = performance.now();
  let tokens = 0;
  for (let i = 0; i < lines.length; i += 1024) {
    const encs = await tok.encodeBatch(lines.slice(i, i + 1024), { addSpecialTokens: false });
    for (const e of encs) tokens += e.getIds().length;
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`encode_mb_per_s ${Buffer.byteLength(text) / 1e6 / s} tokens ${tokens}`);
} else if (cmd === "train") {
  // A byte-level BPE like chosei's; the model's default trainer targets 30000 tokens.
  const spec = {
    version: "1.0", added_tokens: [], normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null, decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, vocab: {}, merges: [] },
  };
  const tok = Tokenizer.fromString(JSON.stringify(spec));
  const t0 = performance.now();
  tok.train([a]);
  const s = (performance.now() - t0) / 1000;
  console.log(`train_seconds ${s} vocab ${tok.getVocabSize()}`);
}
