"""transformers' own GGUF loader as the reference for a real model file.

  real_gguf_reference.py FILE.gguf TOKENIZER.json|- OUT_DIR

Writes OUT_DIR/prompts.json (the prompts and token ids for each, without special tokens:
`ids` from transformers' tokenizer read from the GGUF, `real_ids` from the model's own
tokenizer.json unless `-`, through HF tokenizers) and OUT_DIR/reference.safetensors: for
each of the first prompts, `ids.K` (1, T) (the real tokenizer's ids when given, after the
BOS token the file asks for) and `logprobs.K` (1, T, V) fp32 from transformers' model loaded
with `gguf_file=` (dequantized to fp32), and `greedy` (1, P + 16) for the first prompt.
Run with the reference environment's Python (scripts/setup).
"""

import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

PROMPTS = [
    "Hello! How are you today?",
    "What is the capital of France?",
    "Explain photosynthesis in one sentence.",
    "My order #48213 arrived damaged. Can I get a refund?",
    "How do I reset my password?",
    "The meeting is at 10:30 on 2024-03-15.",
    "Write a haiku about the sea.",
    "I was charged $129.99 twice this month.",
    "Can you recommend a good book on history?",
    "What's the difference between a virus and bacteria?",
    "  leading spaces and trailing spaces  ",
    "tabs\tand\nnewlines\n\nmixed",
    "Ünïcödé: café, naïve, Zürich, Ελληνικά, Русский, 日本語, 中文, 한국어",
    "Emoji: 😀🎉👍🏽 and symbols © ® ™ € £ ¥",
    "email me at support@example.com or call +1 (555) 010-2299",
    "def add(a, b):\n    return a + b\n",
    "{\"key\": [1, 2, 3], \"nested\": {\"x\": null}}",
    "https://example.com/path?query=1&other=two#frag",
    "UPPERCASE lowercase MiXeD CaSe",
    "Numbers: 0 1 12 123 1234 12345 3.14159 -42 1e10",
    "I'd've thought you'll say it's fine, wouldn't you?",
    "What are the side effects of ibuprofen?",
    "How long does shipping take to Canada?",
    "Cancel my subscription please.",
    "Is it safe to take aspirin with coffee?",
    "Translate 'good morning' into Spanish.",
    "Summarize: The quick brown fox jumps over the lazy dog.",
    "List three fruits that are red.",
    "Why is the sky blue?",
    "How many legs does a spider have?",
    "Please update the shipping address on order 7731.",
    "...!!!???---___***",
    "a",
    "",
    " ",
    "\n",
    "The year 1999 was followed by 2000.",
    "Mr. Smith's dog isn't here; he's out.",
    "C++ and C# are programming languages.",
    "x = y^2 + 3*z - (4/5)",
    "Tell me a joke about computers.",
    "What time zone is Tokyo in?",
    "<|im_start|>user\nHi<|im_end|>",
    "<start_of_turn>user\nHi<end_of_turn>",
    "repeated repeated repeated repeated words",
    "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "¿Dónde está la biblioteca?",
    "Wie spät ist es?",
    "私は学生です。",
    "Goodbye, and thanks for all the fish.",
]
LOGPROB_PROMPTS = 3
NEW_TOKENS = 16


def sequence(tokenizer, real, prompt):
    if real is None:
        return tokenizer(prompt).input_ids
    ids = real.encode(prompt, add_special_tokens=False).ids
    return ([tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []) + ids


def main(path, out_dir, real_tokenizer=None):
    os.makedirs(out_dir, exist_ok=True)
    folder, name = os.path.split(path)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    model.eval()
    ids = [tokenizer(p, add_special_tokens=False).input_ids for p in PROMPTS]
    real = None
    listing = {"prompts": PROMPTS, "ids": ids, "bos": tokenizer.bos_token_id}
    if real_tokenizer:
        from tokenizers import Tokenizer
        real = Tokenizer.from_file(real_tokenizer)
        listing["real_ids"] = [real.encode(p, add_special_tokens=False).ids for p in PROMPTS]
    with open(os.path.join(out_dir, "prompts.json"), "w") as f:
        json.dump(listing, f)
    tensors = {}
    with torch.no_grad():
        for k in range(LOGPROB_PROMPTS):
            seq = torch.tensor([sequence(tokenizer, real, PROMPTS[k])])
            tensors[f"ids.{k}"] = seq
            tensors[f"logprobs.{k}"] = torch.log_softmax(model(seq).logits.float(), -1)
        first = tensors["ids.0"]
        tensors["greedy"] = model.generate(first, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                                           do_sample=False, pad_token_id=0)
    save_file({k: v.contiguous() for k, v in tensors.items()},
              os.path.join(out_dir, "reference.safetensors"))


if __name__ == "__main__":
    gguf, tokenizer, out = sys.argv[1:4]
    main(gguf, out, None if tokenizer == "-" else tokenizer)
