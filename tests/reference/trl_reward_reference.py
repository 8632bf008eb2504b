"""TRL's RewardTrainer on a model directory, as the reference run `chosei reward train` is
compared with.

  trl_reward_reference.py MODEL_DIR PAIRS.jsonl SETTINGS.json OUT_DIR

PAIRS.jsonl holds {"prompt"?: [...], "chosen": [...], "rejected": [...]} conversations (TRL's
conversational preference format, as `chosei data convert --to trl` writes it): TRL renders each whole conversation with the model's own
chat template and scores it at its last token with AutoModelForSequenceClassification (a new
`score` head, num_labels 1). Loss: -log sigmoid(r_chosen - r_rejected) averaged over the
batch (TRL 1.13, trl/trainer/reward_trainer.py compute_loss; Bradley-Terry, arXiv 2203.02155
Eq. 1), no centering. SETTINGS.json has batch_size (pairs), learning_rate, max_steps,
max_length, seed, lora_r, lora_alpha and lora_target_modules (LoRA with modules_to_save
["score"], task SEQ_CLS, as TRL's documentation asks), optionally gradient_checkpointing (TRL's
default, true). The run is sequential (no shuffling), linear schedule without warmup, AdamW
(betas 0.9/0.999, eps 1e-8, no weight decay), clipping at 1.0, no dropout, fp32 on the CPU.

Writes OUT_DIR/initial_adapter (the adapter and score head before the first step, PEFT's
layout, for chosei's lora.init_from) and OUT_DIR/trl_run.json: per step loss, grad_norm,
accuracy and margin; train time, tokens, tokens/s and the peak RSS of this process.
Run with the reference environment's Python (scripts/setup).
"""

import json
import os
import resource
import sys
import time

import torch
from datasets import Dataset
from peft import LoraConfig, TaskType
from transformers import AutoModelForSequenceClassification, AutoTokenizer, TrainerCallback
from trl import RewardConfig, RewardTrainer


class StepLog(TrainerCallback):
    def __init__(self):
        self.steps = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.steps.append({"step": state.global_step, "loss": logs["loss"],
                               "grad_norm": logs.get("grad_norm"), "accuracy": logs.get("accuracy"),
                               "margin": logs.get("margin")})


def main(model_dir, data_path, settings_path, out_dir):
    s = json.load(open(settings_path))
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    torch.set_num_threads(threads)
    os.makedirs(out_dir, exist_ok=True)
    rows = [json.loads(line) for line in open(data_path) if line.strip()]
    # TRL joins an explicit prompt to each answer before rendering (reward_trainer.py tokenize_fn).
    dataset = Dataset.from_list([{k: r[k] for k in ("prompt", "chosen", "rejected") if k in r} for r in rows])
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    torch.manual_seed(s["seed"])
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=1,
                                                               dtype=torch.float32)
    peft_config = LoraConfig(r=s["lora_r"], lora_alpha=s["lora_alpha"], lora_dropout=0.0,
                             target_modules=s["lora_target_modules"], modules_to_save=["score"],
                             task_type=TaskType.SEQ_CLS)
    config = RewardConfig(
        output_dir=os.path.join(out_dir, "trl"), per_device_train_batch_size=s["batch_size"],
        gradient_accumulation_steps=1, learning_rate=s["learning_rate"],
        lr_scheduler_type="linear", warmup_steps=0, max_steps=s["max_steps"], logging_steps=1,
        optim="adamw_torch", weight_decay=0.0, adam_beta1=0.9, adam_beta2=0.999,
        adam_epsilon=1e-8, max_grad_norm=1.0, seed=s["seed"], data_seed=s["seed"],
        max_length=s["max_length"], train_sampling_strategy="sequential", report_to="none",
        save_strategy="no", use_cpu=True, bf16=False, fp16=False, dataloader_num_workers=0,
        disable_tqdm=True, gradient_checkpointing=s.get("gradient_checkpointing", True))
    log = StepLog()
    trainer = RewardTrainer(model=model, args=config, train_dataset=dataset,
                            processing_class=tokenizer, peft_config=peft_config, callbacks=[log])
    trainer.model.save_pretrained(os.path.join(out_dir, "initial_adapter"))
    used = trainer.train_dataset.select(range(min(len(trainer.train_dataset), s["max_steps"] * s["batch_size"])))
    tokens = sum(len(r["chosen_ids"]) + len(r["rejected_ids"]) for r in used)
    with open(os.path.join(out_dir, "tokenized.jsonl"), "w") as f:
        for r in used:
            f.write(json.dumps({"chosen_ids": r["chosen_ids"], "rejected_ids": r["rejected_ids"]}) + "\n")
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    json.dump({"steps": log.steps, "train_seconds": seconds, "tokens": tokens,
               "tokens_per_s": tokens / seconds, "pairs_per_s": len(used) / seconds,
               "threads": threads,
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
               "trl": __import__("trl").__version__, "torch": torch.__version__},
              open(os.path.join(out_dir, "trl_run.json"), "w"), indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:5])
