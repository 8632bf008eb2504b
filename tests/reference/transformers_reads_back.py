"""transformers loads a model directory chosei wrote and computes the reference's
log-probabilities: chosei's config.json and model.safetensors mean to transformers what the
directory transformers saved meant.

  transformers_reads_back.py DIR REFERENCE.safetensors

Prints the largest |log-probability difference| and exits 1 above 1e-4. Run with the
reference environment's Python (scripts/setup).
"""

import sys

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

model_dir, reference = sys.argv[1:3]
ref = load_file(reference)
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
model.config._attn_implementation = "eager"
model.eval()
with torch.no_grad():
    logprobs = torch.log_softmax(model(ref["ids"]).logits.float(), -1)
diff = (logprobs - ref["logprobs"]).abs().max().item()
print(f"{type(model).__name__}: max |dlogp| {diff:.3g}")
sys.exit(0 if diff < 1e-4 else 1)
