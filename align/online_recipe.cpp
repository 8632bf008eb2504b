#include "align/online_recipe.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "align/align_training.h"
#include "align/online_rl_task.h"
#include "filters/rule_pack.h"
#include "formats/chat_tokens.h"
#include "formats/model_dir.h"
#include "formats/peft_adapter.h"
#include "tokenizer/chat_messages.h"
#include "train/data_parallel.h"

namespace chosei {

namespace fs = std::filesystem;

namespace {

struct OnlineRun {
  AlignRun run;
  std::string base, template_name, prompts, eval, reference;
  RewardTerms rewards;
  OnlineSettings settings;
  Precision precision = Precision::kFP32;
};

std::vector<std::string> split_packs(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size() && !list.empty()) {
    const auto comma = list.find(',', start);
    const auto item =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item == "default")  // the built-in set `--pack` defaults to, beside named packs
      out.insert(out.end(), default_pack_names().begin(), default_pack_names().end());
    else if (!item.empty())
      out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

void read_rewards(RunConfig& cfg, OnlineRun& o) {
  auto& r = o.rewards;
  r.reward_model = cfg.get_string("reward_model", "");
  r.packs = split_packs(cfg.get_string("packs", ""));
  r.safety_penalty = cfg.get_double("safety_penalty", 1.0);
  r.redact_penalty = cfg.get_double("redact_penalty", r.safety_penalty / 2);
  r.flag_penalty = cfg.get_double("flag_penalty", r.safety_penalty / 4);
  r.length_penalty = cfg.get_double("length_penalty", 0.0);
  r.must_match = cfg.get_string("must_match", "");
  r.must_not_match = cfg.get_string("must_not_match", "");
  r.rule_penalty = cfg.get_double("rule_penalty", 1.0);
}

void read_policy_gradient(RunConfig& cfg, OnlineRun& o) {
  auto& s = o.settings;
  const bool rloo = o.run.method == "rloo";
  s.method = rloo ? OnlineMethod::kRloo : OnlineMethod::kGrpo;
  // TRL's defaults: RLOOConfig k = 2, beta = 0.05; GRPOConfig G = 8, beta = 0 (no
  // reference model), loss_type dapo, scale_rewards group; both epsilon 0.2.
  s.num_generations = cfg.get_int("num_generations", rloo ? 2 : 8);
  s.beta = cfg.get_double("beta", rloo ? 0.05 : 0.0);
  s.epsilon_low = cfg.get_double("epsilon", 0.2);
  s.epsilon_high = cfg.get_double("epsilon_high", s.epsilon_low);
  if (s.beta < 0) throw std::invalid_argument("config key \"beta\" must be 0 or more");
  if (s.epsilon_low <= 0 || s.epsilon_low >= 1 || s.epsilon_high <= 0)
    throw std::invalid_argument("config keys \"epsilon\" (in (0, 1)) and \"epsilon_high\" (> 0)");
  const auto aggregation = cfg.get_string("loss_aggregation", "dapo");
  const auto scaling = cfg.get_string("scale_rewards", "group");
  s.aggregation = parse_loss_aggregation(aggregation);
  s.scaling = parse_reward_scaling(scaling);
  if (rloo && (cfg.has("loss_aggregation") || cfg.has("scale_rewards")))
    throw std::invalid_argument(
        "loss_aggregation and scale_rewards are GRPO's; RLOO averages one clipped ratio per "
        "completion over the completions");
  auto& g = s.sampling;
  g.temperature = cfg.get_double("temperature", 1.0);
  g.top_p = cfg.get_double("top_p", 1.0);
  g.max_new_tokens = cfg.get_int("max_new_tokens", 256);
  if (g.temperature <= 0)
    throw std::invalid_argument(
        "config key \"temperature\" must be above 0 (log-probs are "
        "taken at the sampling temperature)");
  if (g.max_new_tokens < 1)
    throw std::invalid_argument("config key \"max_new_tokens\" must be >= 1");
}

OnlineRun online_settings(RunConfig& cfg) {
  OnlineRun o;
  o.run.out = cfg.require_string("out");
  o.run.method = cfg.get_string("method", "rloo");
  o.base = cfg.require_string("model");
  o.template_name = cfg.get_string("template", "");
  o.run.run = read_run_settings(cfg, o.run.out);
  require_cpu_device(o.run.run, "online alignment");
  o.run.lora = read_lora_settings(cfg, o.base);
  o.prompts = cfg.require_string("prompts");
  o.eval = cfg.get_string("eval", "");
  o.reference = cfg.get_string("reference", "");
  o.precision = parse_precision(cfg.get_string("precision", "fp32"));
  read_rewards(cfg, o);
  read_policy_gradient(cfg, o);
  auto& s = o.settings;
  s.completions_per_batch = o.run.run.batch_size;
  s.completions_per_step = o.run.run.batch_size * o.run.run.loop.grad_accum * process_world_size();
  s.sampling.max_batch =
      cfg.get_int("generation_batch", std::min<std::int64_t>(32, s.completions_per_step));
  s.sampling.seed = o.run.run.loop.seed;
  s.packing = o.run.run.packing;
  s.max_seq_len = o.run.run.max_seq_len;
  o.rewards.max_new_tokens = s.sampling.max_new_tokens;
  cfg.check_all_used();
  if (s.num_generations < 2)
    throw std::invalid_argument(
        "config key \"num_generations\" must be at least 2 (a group "
        "needs a baseline), got " +
        std::to_string(s.num_generations));
  if (s.completions_per_step % s.num_generations != 0)
    throw std::invalid_argument(
        "batch_size x grad_accum x processes = " + std::to_string(s.completions_per_step) +
        " completions a step, not a multiple of num_generations = " +
        std::to_string(s.num_generations) + ": every prompt's group must fall in one step");
  if (s.beta == 0 && !o.reference.empty())
    throw std::invalid_argument("reference is set but beta = 0 takes no KL to it");
  return o;
}

// The model the KL is taken to: the base with adapters disabled (LoRA), the `reference`
// directory, or a second copy of the starting model.
OnlineReference load_reference(const OnlineRun& o, const LoadedModel& policy,
                               const std::string& tmpl, bool grown) {
  OnlineReference r;
  if (o.settings.beta == 0) return r;
  if (o.run.lora && o.reference.empty()) {
    r.lora_base = true;
    return r;
  }
  auto ref = load_model_dir(o.reference.empty() ? o.base : o.reference);
  if (grown) ensure_chat_tokens(ref, tmpl);
  if (ref.model->config().vocab_size != policy.model->config().vocab_size)
    throw std::invalid_argument("reference " + o.reference + " has a vocabulary of " +
                                std::to_string(ref.model->config().vocab_size) + ", the policy " +
                                std::to_string(policy.model->config().vocab_size));
  ref.model->set_precision(o.precision);
  ref.model->eval();
  r.model = ref.model;
  return r;
}

bool is_conversation(const PromptRecord& p) { return !p.text_prompt; }

}  // namespace

bool is_online_method(const std::string& method) { return method == "rloo" || method == "grpo"; }

double run_online_align(RunConfig& cfg) {
  const auto o = online_settings(cfg);
  auto train = read_prompt_file(o.prompts);
  auto eval = o.eval.empty() ? std::vector<PromptRecord>{} : read_prompt_file(o.eval);
  auto m = load_model_dir(o.base, true, frozen_base_type(o.run.lora.get(), o.base));
  const auto vocab_before = m.model->config().vocab_size;
  // Raw text prompts are completed without a template: the vocabulary grows for the
  // template's tokens only when some prompt is a conversation.
  const bool chat = std::any_of(train.begin(), train.end(), is_conversation) ||
                    std::any_of(eval.begin(), eval.end(), is_conversation);
  auto tmpl = chat ? ensure_chat_tokens(m, o.template_name)
                   : choose_chat_template(m.tokenizer.config, o.template_name);
  if (o.run.lora && m.model->config().vocab_size != vocab_before)
    throw std::invalid_argument(
        o.base + " lacks the " + tmpl.name() +
        " template's tokens: online LoRA needs a model that already has them (fine-tune it "
        "with sft first), since the grown embeddings would be trained outside the adapter's "
        "reference");
  m.model->set_precision(o.precision);
  set_activation_checkpointing(*m.model, o.run.run.gradient_checkpointing);
  auto reference = load_reference(o, m, tmpl.name(), chat);
  auto rewards = std::make_shared<CompletionRewards>(o.rewards);
  if (!rewards->has_reward_model())
    std::cerr << "no reward_model: the reward is the safety and rule terms alone\n";
  auto settings = o.settings;
  settings.pad_id = std::max<TokenId>(0, m.tokenizer.tokenizer->eos_id());
  AnsweringModel policy{m.model, m.tokenizer.tokenizer.get(), tmpl, m.eos_ids(), o.base};
  const auto prompts = train.size(), eval_prompts = eval.size();
  OnlineRlTask task(policy, std::move(reference), std::move(train), std::move(eval), rewards,
                    settings);
  std::cerr << o.prompts << ": " << prompts << " prompts (" << task.prompts_per_epoch()
            << " per epoch), " << settings.num_generations << " completions each\n";
  nlohmann::json stats{
      {"method", o.run.method},
      {"beta", settings.beta},
      {"prompts", prompts},
      {"eval prompts", eval_prompts},
      {"num_generations", settings.num_generations},
      {"reward model", o.rewards.reward_model.empty() ? "none" : o.rewards.reward_model},
      {"safety_penalty", o.rewards.safety_penalty}};
  if (o.run.method == "grpo") {
    stats["loss_aggregation"] = to_string(settings.aggregation);
    stats["scale_rewards"] = cfg.get_string("scale_rewards", "group");
  }
  return train_and_save(cfg, o.run, m, vocab_before, task, stats);
}

}  // namespace chosei
