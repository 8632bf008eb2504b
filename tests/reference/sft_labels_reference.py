"""TRL's labels for chat fine-tuning on the real tokenizers, as chosei's labels' reference.

  sft_labels_reference.py TOKENIZERS_DIR SMOLLM2_GGUF|- OUT_DIR

For each tokenizer of the models cache with a chat template (Qwen3, Llama 3.1, Gemma 3):
- "assistant_only": TRL's SFTTrainer with assistant_only_loss=True tokenizes a conversation
  with trl.data_utils._tokenize(..., return_assistant_tokens_mask=True,
  chat_template=get_training_chat_template(tokenizer)) (trl/trainer/sft_trainer.py, TRL 1.13):
  input_ids and assistant_masks.
- "completion": TRL's conversational prompt-completion path: the prompt with the generation
  prompt, then prompt + completion; completion_mask is 1 after the prompt's tokens. Rendered
  with the model's own template.
Writes OUT_DIR/cases.jsonl ({"tokenizer", "case", "kind", "messages", "tools", "ids", "mask"})
and OUT_DIR/templates/NAME_training.jinja (the training template TRL chose). The real
SmolLM2-135M-Instruct GGUF (transformers' own GGUF loader) adds "completion" cases: TRL has
no training template for it.
Run with the reference environment's Python (scripts/setup).
"""

import json
import os
import sys

from transformers import AutoTokenizer
from trl import chat_template_utils
from trl.chat_template_utils import get_training_chat_template
from trl.data_utils import _tokenize

TOOLS = [{"type": "function", "function": {
    "name": "get_order_status", "description": "Look up an order's status.",
    "parameters": {"type": "object", "properties": {
        "order_id": {"type": "string", "description": "The order number"}},
        "required": ["order_id"]}}}]

CONVERSATIONS = {
    "one_turn": [{"role": "user", "content": "How do I return a kettle?"},
                 {"role": "assistant", "content": "Pack it and print the label from your account."}],
    "system_multi": [
        {"role": "system", "content": "You are a support agent for Kumo. Answer in one line."},
        {"role": "user", "content": "Hi!"},
        {"role": "assistant", "content": "Hello, how can I help?"},
        {"role": "user", "content": "My order 1234 has not arrived.\nCan you check? 日本語 ✓"},
        {"role": "assistant", "content": "It left the warehouse yesterday; expect it Friday."}],
    "reasoning": [
        {"role": "user", "content": "Is 91 prime?"},
        {"role": "assistant", "content": "No: 91 = 7 x 13.",
         "reasoning_content": "Check small primes: 91 / 7 = 13."}],
    "tool_calls": [
        {"role": "user", "content": "Where is order A-17?"},
        {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {
            "name": "get_order_status", "arguments": {"order_id": "A-17"}}}]},
        {"role": "tool", "name": "get_order_status", "content": "{\"status\": \"shipped\"}"},
        {"role": "assistant", "content": "Order A-17 has shipped."}],
}


def load(tokenizers, smollm2):
    for name in sorted(os.listdir(tokenizers)):
        yield name, AutoTokenizer.from_pretrained(os.path.join(tokenizers, name))
    if smollm2 != "-":
        yield "smollm2", AutoTokenizer.from_pretrained(os.path.dirname(smollm2),
                                                       gguf_file=os.path.basename(smollm2))


def training_template(name, tok):
    if name == "smollm2":
        return None
    try:
        return get_training_chat_template(tok)
    except ValueError:
        # The models cache's Qwen3 tokenizer ships an earlier revision of Qwen3's template
        # (no `content is string` guards) that TRL does not recognize: its training variant
        # of the current one renders these conversations the same.
        return getattr(chat_template_utils, name + "_training_chat_template")


def main(tokenizers, smollm2, out_dir):
    os.makedirs(os.path.join(out_dir, "templates"), exist_ok=True)
    with open(os.path.join(out_dir, "cases.jsonl"), "w") as out:
        for name, tok in load(tokenizers, smollm2):
            if not tok.chat_template:
                continue
            training = training_template(name, tok)
            template_file = os.path.join(out_dir, "templates", name + "_training.jinja")
            with open(template_file, "w") as f:
                f.write(training or tok.chat_template)
            for case, messages in CONVERSATIONS.items():
                tools = TOOLS if case == "tool_calls" else None
                if tools and "tools" not in tok.chat_template:
                    continue
                kwargs = {"tools": tools} if tools else {}
                if training is None and case != "one_turn":
                    continue
                done = None if training is None else _tokenize(tok, messages, return_assistant_tokens_mask=True,
                                 chat_template=training, **kwargs)
                if done is not None:
                    out.write(json.dumps({"tokenizer": name, "case": case,
                                          "kind": "assistant_only",
                                          "messages": messages, "tools": tools or [],
                                          "ids": list(done["input_ids"]),
                                          "mask": list(done["assistant_masks"])},
                                         ensure_ascii=False) + "\n")
                if case != "one_turn":
                    continue
                prompt, completion = messages[:-1], messages[-1:]
                prompt_ids = _tokenize(tok, prompt, add_generation_prompt=True)["input_ids"]
                whole = _tokenize(tok, prompt + completion)["input_ids"]
                assert whole[:len(prompt_ids)] == prompt_ids, name
                out.write(json.dumps({"tokenizer": name, "case": case, "kind": "completion",
                                      "messages": messages, "tools": [],
                                      "ids": list(whole),
                                      "mask": [0] * len(prompt_ids) +
                                              [1] * (len(whole) - len(prompt_ids))},
                                     ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
