// llama.cpp as the reference runtime for chosei's GGUF files (node-llama-cpp@3.21.1, its
// prebuilt CPU build). Reads one JSON request on stdin:
//   {"file": "model.gguf", "lora": "adapter.gguf" (optional), "greedy": [{"ids": [...], "max_tokens": N}],
//    "tokenize": ["text", ...], "chat": [[{"role": "user", "content": "..."}], ...]}
// and prints one JSON object: the greedy continuations (EOG tokens end them, excluded),
// llama.cpp's tokenization of each text (no specials added), each chat rendered by the
// file's own Jinja chat_template (with the generation prompt) and tokenized, and the
// metadata llama.cpp read.
import {getLlama, LlamaLogLevel, JinjaTemplateChatWrapper} from "node-llama-cpp";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: request.file});
// "lora": a LoRA adapter GGUF applied on the model (llama-cli --lora).
const context = await model.createContext({contextSize: 512, threads: 1, sequences: 1,
  ...(request.lora ? {lora: {adapters: [{filePath: request.lora}]}} : {})});
const sequence = context.getSequence();

const greedy = [];
for (const g of request.greedy ?? []) {
  await sequence.clearHistory();
  const out = [];
  for await (const token of sequence.evaluate(g.ids, {temperature: 0})) {
    if (model.isEogToken(token)) break;
    out.push(token);
    if (out.length >= g.max_tokens) break;
  }
  greedy.push(out);
}

const tokenize = (request.tokenize ?? []).map((text) => Array.from(model.tokenize(text, false)));

const template = model.fileInfo.metadata?.tokenizer?.chat_template ?? null;
const chat = [];
for (const messages of request.chat ?? []) {
  const wrapper = new JinjaTemplateChatWrapper({template});
  const history = messages.map((m) =>
    m.role === "assistant" ? {type: "model", response: [m.content]}
      : m.role === "system" ? {type: "system", text: m.content} : {type: "user", text: m.content});
  history.push({type: "model", response: []});
  const {contextText} = wrapper.generateContextState({chatHistory: history});
  chat.push(Array.from(contextText.tokenize(model.tokenizer)));
}

console.log(JSON.stringify({
  greedy, tokenize, chat, chat_template: template,
  n_vocab: model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length ?? null,
  architecture: model.fileInfo.metadata?.general?.architecture ?? null,
  bos: model.tokens.bos, eos: model.tokens.eos,
}));
await model.dispose();
await llama.dispose();
