#include "train/run_settings.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "formats/peft_adapter.h"
#include "model/compute_device.h"

namespace chosei {

namespace {

void require_one_of(const std::string& key, const std::string& value,
                    std::initializer_list<const char*> allowed) {
  std::string names;
  for (const char* a : allowed) {
    if (value == a) return;
    names += (names.empty() ? "" : ", ") + std::string(a);
  }
  throw std::invalid_argument("config key \"" + key + "\" is \"" + value + "\"; expected " + names);
}

}  // namespace

DType save_dtype_for(const RunSettings& settings, DType stored) {
  if (settings.save_dtype != "auto") return dtype_from_precision_name(settings.save_dtype);
  return stored == DType::BF16 || stored == DType::F16 ? stored : DType::F32;
}

RunSettings read_run_settings(RunConfig& cfg, const std::string& out) {
  RunSettings s;
  auto& t = s.loop;
  t.out_dir = out;
  t.schedule.kind = cfg.get_string("lr_schedule", "cosine");
  t.schedule.peak = cfg.get_double("learning_rate", 1e-4);
  t.schedule.warmup_steps = cfg.get_int("warmup_steps", 0);
  t.schedule.min_lr_ratio = cfg.get_double("min_lr_ratio", 0.1);
  t.max_steps = cfg.get_int("max_steps", 0);
  t.epochs = cfg.get_double("epochs", 1.0);
  s.batch_size = cfg.get_int("batch_size", 8);
  t.grad_accum = cfg.get_int("grad_accum", 1);
  s.max_seq_len = cfg.get_int("max_seq_len", 512);
  s.packing = cfg.get_bool("packing", true);
  s.gradient_checkpointing = cfg.get_bool("gradient_checkpointing", false);
  s.save_dtype = cfg.get_string("save_dtype", "auto");
  require_one_of("save_dtype", s.save_dtype, {"auto", "fp32", "bf16", "fp16"});
  t.weight_decay = cfg.get_double("weight_decay", 0.0);
  t.beta1 = cfg.get_double("adam_beta1", 0.9);
  t.beta2 = cfg.get_double("adam_beta2", 0.999);
  t.adam_eps = cfg.get_double("adam_eps", 1e-8);
  t.max_grad_norm = cfg.get_double("max_grad_norm", 1.0);
  t.l1 = cfg.get_double("l1", 0.0);
  t.eval_every = cfg.get_int("eval_every", 0);
  t.save_every = cfg.get_int("save_every", 0);
  t.keep_checkpoints = cfg.get_int("keep_checkpoints", 2);
  t.log_every = cfg.get_int("log_every", 10);
  t.early_stopping_patience = cfg.get_int("early_stopping.patience", 0);
  t.early_stopping_min_delta = cfg.get_double("early_stopping.min_delta", 0.0);
  t.seed = static_cast<std::uint64_t>(cfg.get_int("seed", 0));
  t.resume_from = cfg.get_string("resume_from", "");
  const auto device = cfg.get_string("device", "cpu");
  try {
    s.device = parse_compute_device(device);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("config key \"device\": ") + e.what());
  }
  if (s.batch_size <= 0 || t.grad_accum <= 0 || s.max_seq_len <= 1)
    throw std::invalid_argument(
        "batch_size and grad_accum must be positive and max_seq_len above 1");
  return s;
}

void require_cpu_device(const RunSettings& settings, const std::string& recipe) {
  if (!settings.device.is_cpu())
    throw std::invalid_argument("config key \"device\": " + recipe + " trains on cpu only (sft " +
                                "and pretrain run on " + settings.device.str() + ")");
}

namespace {

// An adapter to start from must have the run's shape: checked before the model loads.
void require_shape(const LoraConfig& file, std::int64_t r, double alpha,
                   std::vector<std::string> targets, const std::string& dir) {
  const auto where = (std::filesystem::path(dir) / "adapter_config.json").string();
  auto refuse = [&](const std::string& field, const nlohmann::json& has,
                    const nlohmann::json& wants) {
    throw std::invalid_argument(where + ": field \"" + field + "\" is " + has.dump() +
                                ", the run's lora settings say " + wants.dump());
  };
  if (file.r != r) refuse("r", file.r, r);
  if (file.alpha != alpha) refuse("lora_alpha", file.alpha, alpha);
  auto theirs = file.target_modules;
  std::sort(theirs.begin(), theirs.end());
  std::sort(targets.begin(), targets.end());
  if (theirs != targets) refuse("target_modules", theirs, targets);
}

}  // namespace

std::shared_ptr<LoraConfig> read_lora_settings(RunConfig& cfg, const std::string& base) {
  // An adapter to start from gives the defaults of its shape; the run's keys must agree.
  const auto init_from = cfg.get_string("lora.init_from", "");
  LoraConfig start;
  start.r = 0;
  if (!init_from.empty()) start = read_lora_config(init_from);
  const auto r = cfg.get_int("lora.r", start.r);
  const auto alpha = cfg.get_double("lora.alpha", start.alpha);
  const auto dropout = cfg.get_double("lora.dropout", 0.05);
  const auto base_dtype = cfg.get_string("lora.base_dtype", "auto");
  require_one_of("lora.base_dtype", base_dtype, {"auto", "fp32", "bf16", "fp16"});
  // Empty: the model family's default (PEFT's: q_proj and v_proj, Phi-3's qkv_proj).
  const auto targets = cfg.get_strings("lora.target_modules", start.target_modules);
  if (r <= 0) {
    if (cfg.has("lora.base_dtype"))
      throw std::invalid_argument("config key \"lora.base_dtype\" needs LoRA (lora.r is 0)");
    if (!init_from.empty())
      throw std::invalid_argument("config key \"lora.init_from\" needs LoRA (lora.r is 0)");
    return nullptr;
  }
  if (!init_from.empty()) require_shape(start, r, alpha, targets, init_from);
  auto c = std::make_shared<LoraConfig>();
  c->r = r, c->alpha = alpha, c->dropout = dropout, c->target_modules = targets;
  c->base_model = std::filesystem::absolute(base).string();
  c->init_from = init_from;
  c->base_dtype = base_dtype;
  return c;
}

}  // namespace chosei
