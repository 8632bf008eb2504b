"""TRL's SFTTrainer on a model directory, as the reference run chosei's SFT is compared with.

  trl_sft_reference.py MODEL_DIR DATA.jsonl SETTINGS.json OUT_DIR

DATA.jsonl holds {"messages": [...]} conversations ending with the assistant's answer. They
go to TRL as conversational prompt-completion pairs (the prompt: every message but the last;
the completion: the last), so TRL renders them with the model's own chat template and
computes the loss on the completion only (TRL 1.13, trl/trainer/sft_trainer.py). SETTINGS.json
has batch_size, learning_rate, max_steps, max_length, seed, lora_r, lora_alpha and
lora_target_modules (an empty list: full fine-tuning), optionally gradient_checkpointing (TRL's
default, true); the run is sequential (no shuffling),
linear schedule without warmup, AdamW (betas 0.9/0.999, eps 1e-8, no weight decay), gradient
clipping at 1.0, no dropout, fp32 on the CPU, TRL's default loss (chunked_nll).

Writes OUT_DIR/initial_adapter (the LoRA adapter before the first step, PEFT's layout, for
chosei's lora.init_from) and OUT_DIR/trl_run.json: per step loss, grad_norm,
mean_token_accuracy; train time, tokens, tokens/s and the peak RSS of this process.
Run with the reference environment's Python (scripts/setup).
"""

import json
import os
import resource
import sys
import time

import torch
from datasets import Dataset
from peft import LoraConfig
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import SFTConfig, SFTTrainer


class StepLog(TrainerCallback):
    def __init__(self):
        self.steps = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.steps.append({"step": state.global_step, "loss": logs["loss"],
                               "grad_norm": logs.get("grad_norm"),
                               "mean_token_accuracy": logs.get("mean_token_accuracy"),
                               "num_tokens": logs.get("num_tokens")})


def main(model_dir, data_path, settings_path, out_dir):
    s = json.load(open(settings_path))
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    torch.set_num_threads(threads)
    os.makedirs(out_dir, exist_ok=True)
    rows = [json.loads(line) for line in open(data_path) if line.strip()]
    dataset = Dataset.from_list([{"prompt": r["messages"][:-1], "completion": r["messages"][-1:]}
                                 for r in rows])
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    peft_config = None
    if s["lora_target_modules"]:
        peft_config = LoraConfig(r=s["lora_r"], lora_alpha=s["lora_alpha"], lora_dropout=0.0,
                                 target_modules=s["lora_target_modules"], task_type="CAUSAL_LM")
    config = SFTConfig(
        output_dir=os.path.join(out_dir, "trl"), per_device_train_batch_size=s["batch_size"],
        gradient_accumulation_steps=1, learning_rate=s["learning_rate"],
        lr_scheduler_type="linear", warmup_steps=0, max_steps=s["max_steps"], logging_steps=1,
        optim="adamw_torch", weight_decay=0.0, adam_beta1=0.9, adam_beta2=0.999,
        adam_epsilon=1e-8, max_grad_norm=1.0, seed=s["seed"], data_seed=s["seed"],
        packing=False, max_length=s["max_length"], shuffle_dataset=False,
        train_sampling_strategy="sequential", completion_only_loss=True, report_to="none",
        save_strategy="no", use_cpu=True, bf16=False, fp16=False, dataloader_num_workers=0,
        disable_tqdm=True, gradient_checkpointing=s.get("gradient_checkpointing", True))
    torch.manual_seed(s["seed"])
    log = StepLog()
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset,
                         processing_class=tokenizer, peft_config=peft_config, callbacks=[log])
    if peft_config is not None:
        trainer.model.save_pretrained(os.path.join(out_dir, "initial_adapter"))
    tokens = sum(len(ids) for ids in trainer.train_dataset["input_ids"][:s["max_steps"] * s["batch_size"]])
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    json.dump({"steps": log.steps, "train_seconds": seconds, "tokens": tokens,
               "tokens_per_s": tokens / seconds, "threads": threads,
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
               "trl": __import__("trl").__version__, "torch": torch.__version__},
              open(os.path.join(out_dir, "trl_run.json"), "w"), indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:5])
