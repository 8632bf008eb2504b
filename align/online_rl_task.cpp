#include "align/online_rl_task.h"

#include <algorithm>
#include <stdexcept>

#include "align/rloo_loss.h"
#include "align/sequence_logps.h"
#include "model/lora.h"
#include "train/epoch_order.h"

namespace chosei {

namespace {

struct PromptSlots : TrainingBatch {
  std::vector<RolloutSlot> slots;
};

struct OnlineBatch : TrainingBatch {
  LogpBatch sequences;
  torch::Tensor ref_logp;    // (N) the reference's per completion token, or undefined
  torch::Tensor advantages;  // (S)
  std::map<std::string, double> step_metrics;  // the step's statistics, on one batch only
};

// What every process contributes per completion of the step, summed across processes.
enum Field { kModel, kSafety, kRules, kViolation, kLength, kTruncated, kKl, kFields };

double at(const torch::Tensor& t) { return t.item<double>(); }

// The step's statistics are computed alike in every process; rank 0 alone counts them, but
// every process logs the same names (the loop sums the metrics of all processes in one
// all-reduce, so their sets must match).
struct StepMetrics {
  std::map<std::string, double>& m;
  bool counted;
  void add(const std::string& name, double value) {
    m[name] = counted ? value : 0.0;
    m[kMetricUnits + name] = counted ? 1.0 : 0.0;
  }
};

}  // namespace

struct OnlineRlTask::Scored {
  std::vector<Rollout> rollouts;
  std::vector<CompletionReward> rewards;
};

OnlineRlTask::OnlineRlTask(AnsweringModel policy, OnlineReference reference,
                           std::vector<PromptRecord> train, std::vector<PromptRecord> eval,
                           std::shared_ptr<CompletionRewards> rewards, OnlineSettings settings)
    : policy_(std::move(policy)),
      reference_(std::move(reference)),
      train_(std::move(train)),
      eval_(std::move(eval)),
      rewards_(std::move(rewards)),
      settings_(settings) {
  const auto g = settings_.num_generations;
  if (g < 2)
    throw std::invalid_argument(
        "num_generations must be at least 2 (a group needs a baseline), got " + std::to_string(g));
  if (settings_.completions_per_step % g != 0)
    throw std::invalid_argument("a step holds batch x grad_accum x processes = " +
                                std::to_string(settings_.completions_per_step) +
                                " completions, not a multiple of num_generations = " +
                                std::to_string(g) + ": every prompt's group must fall in one step");
  if (settings_.beta != 0 && !reference_.present())
    throw std::invalid_argument("beta > 0 needs a reference model");
  if (prompts_per_epoch() == 0)
    throw std::invalid_argument(std::to_string(train_.size()) +
                                " training prompts: fewer than one step's " +
                                std::to_string(settings_.completions_per_step / g));
}

std::size_t OnlineRlTask::prompts_per_epoch() const {
  const auto per_step =
      static_cast<std::size_t>(settings_.completions_per_step / settings_.num_generations);
  return train_.size() / per_step * per_step;
}

TrainingBatches OnlineRlTask::train_batches(std::int64_t epoch, std::uint64_t seed) {
  const auto order = epoch_order(train_.size(), seed, epoch);
  std::vector<RolloutSlot> slots;
  for (std::size_t i = 0; i < prompts_per_epoch(); ++i)
    for (std::int64_t g = 0; g < settings_.num_generations; ++g)
      slots.push_back({order[i], g, epoch});
  TrainingBatches out;
  const auto per_batch = static_cast<std::size_t>(settings_.completions_per_batch);
  for (std::size_t start = 0; start < slots.size(); start += per_batch) {
    auto b = std::make_shared<PromptSlots>();
    b->slots.assign(
        slots.begin() + static_cast<std::ptrdiff_t>(start),
        slots.begin() + static_cast<std::ptrdiff_t>(std::min(slots.size(), start + per_batch)));
    b->count = static_cast<std::int64_t>(b->slots.size());
    out.push_back(std::move(b));
  }
  return out;
}

OnlineRlTask::Scored OnlineRlTask::sample_and_score(const std::vector<PromptRecord>& prompts,
                                                    const std::vector<RolloutSlot>& slots) {
  weights_changed();  // the optimizer moved the weights since the last decode
  Scored s;
  s.rollouts = generate_rollouts(policy_, prompts, slots, settings_.sampling);
  std::vector<const PromptRecord*> of;
  std::vector<std::string> answers;
  std::vector<std::int64_t> lengths;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    of.push_back(&prompts[slots[i].prompt]);
    answers.push_back(s.rollouts[i].text);
    lengths.push_back(s.rollouts[i].completion_tokens());
  }
  s.rewards = rewards_->score(of, answers, lengths);
  return s;
}

torch::Tensor OnlineRlTask::reference_token_logps(const LogpBatch& batch) {
  torch::NoGradGuard no_grad;
  const double temperature = settings_.sampling.temperature;
  if (reference_.lora_base) {
    LoraDisabled base(*policy_.model);
    return answer_token_logps(policy_.model, batch, temperature).logp;
  }
  return answer_token_logps(reference_.model, batch, temperature).logp;
}

RolledOutStep OnlineRlTask::roll_out(const TrainingBatches& step, const StepContext& context) {
  std::vector<const PromptSlots*> batches;
  std::vector<std::size_t> first;  // each micro-batch's first completion in the step
  std::size_t total = 0;
  std::vector<RolloutSlot> mine;
  auto is_mine = [&](std::size_t k) {
    return static_cast<int>(k % static_cast<std::size_t>(context.world)) == context.rank;
  };
  for (std::size_t k = 0; k < step.size(); ++k) {
    batches.push_back(static_cast<const PromptSlots*>(step[k].get()));
    first.push_back(total);
    total += batches.back()->slots.size();
    if (is_mine(k))
      mine.insert(mine.end(), batches.back()->slots.begin(), batches.back()->slots.end());
  }
  auto scored = sample_and_score(train_, mine);
  const double temperature = settings_.sampling.temperature;
  const bool rloo = settings_.method == OnlineMethod::kRloo;
  // Row-major (field, completion); zeros where another process's completions go.
  std::vector<double> parts(static_cast<std::size_t>(kFields) * total, 0.0);
  auto part = [&](Field f, std::size_t col) -> double& {
    return parts[static_cast<std::size_t>(f) * total + col];
  };
  std::vector<std::shared_ptr<OnlineBatch>> built;
  std::size_t next = 0;  // the next of this process's rollouts
  for (std::size_t k = 0; k < step.size(); ++k) {
    if (!is_mine(k)) continue;
    const auto n = batches[k]->slots.size();
    std::vector<const PromptAnswerIds*> seqs;
    std::size_t longest = 0;
    auto b = std::make_shared<OnlineBatch>();
    for (std::size_t i = 0; i < n; ++i) {
      const auto& r = scored.rollouts[next + i];
      const auto& reward = scored.rewards[next + i];
      const auto col = first[k] + i;
      part(kModel, col) = reward.model;
      part(kSafety, col) = reward.safety;
      part(kRules, col) = reward.rules;
      part(kViolation, col) = reward.violation ? 1.0 : 0.0;
      part(kLength, col) = static_cast<double>(r.completion_tokens());
      part(kTruncated, col) = r.truncated ? 1.0 : 0.0;
      seqs.push_back(&r.sequence);
      longest = std::max(longest, r.sequence.ids.size());
      b->tokens += static_cast<std::int64_t>(r.sequence.ids.size());
    }
    b->sequences = make_logp_batch(
        seqs, settings_.packing, std::max(longest, static_cast<std::size_t>(settings_.max_seq_len)),
        settings_.pad_id);
    if (reference_.present() && settings_.beta != 0) {
      b->ref_logp = reference_token_logps(b->sequences);
      if (rloo) {
        torch::NoGradGuard no_grad;
        const auto old = answer_token_logps(policy_.model, b->sequences, temperature);
        const CompletionTokens t{old.logp, old.logp, b->ref_logp, old.owner,
                                 static_cast<std::int64_t>(n)};
        const auto kl = t.per_completion(t.old_logp - t.ref_logp).to(torch::kFloat64).contiguous();
        for (std::size_t i = 0; i < n; ++i) part(kKl, first[k] + i) = kl.data_ptr<double>()[i];
      }
    }
    b->samples = static_cast<std::int64_t>(n);
    next += n;
    built.push_back(std::move(b));
  }
  auto fields =
      torch::from_blob(parts.data(), {kFields, static_cast<std::int64_t>(total)}, torch::kFloat64)
          .clone();
  context.all_reduce_sum({fields});

  const auto rewards = (fields[kModel] + fields[kSafety] + fields[kRules]).to(torch::kFloat32);
  const auto g = settings_.num_generations;
  const auto advantages =
      rloo ? rloo_advantages(rewards, fields[kKl].to(torch::kFloat32), settings_.beta, g)
           : grpo_advantages(rewards, g, settings_.scaling);
  // Each micro-batch's units from the gathered lengths: the step's normalizer is their sum.
  RolledOutStep out;
  std::size_t j = 0;
  for (std::size_t k = 0; k < step.size(); ++k) {
    const auto n = static_cast<std::int64_t>(batches[k]->slots.size());
    const auto from = static_cast<std::int64_t>(first[k]);
    const auto tokens = static_cast<std::int64_t>(at(fields[kLength].narrow(0, from, n).sum()));
    const auto units = rloo ? n
                            : aggregation_units(settings_.aggregation, n, tokens,
                                                settings_.sampling.max_new_tokens);
    out.count += units;
    if (!is_mine(k)) continue;
    auto& b = built[j++];
    b->advantages = advantages.narrow(0, from, n).clone();
    b->count = units;
    out.mine.push_back(b);
  }
  if (!built.empty()) {
    StepMetrics m{built.front()->step_metrics, context.rank == 0};
    const auto grouped = rewards.view({-1, g});
    m.add("reward", at(rewards.mean()));
    m.add("reward_std", at(grouped.std(1, true).mean()));
    m.add("frac_reward_zero_std", zero_std_group_share(rewards, g));
    if (rewards_->has_reward_model()) {
      m.add("rewards/model/mean", at(fields[kModel].mean()));
      m.add("rewards/model/std", at(fields[kModel].std()));
    }
    m.add("rewards/safety/mean", at(fields[kSafety].mean()));
    m.add("rewards/rules/mean", at(fields[kRules].mean()));
    m.add("safety/violations", at(fields[kViolation].mean()));
    m.add("completions/mean_length", at(fields[kLength].mean()));
    m.add("completions/min_length", at(fields[kLength].min()));
    m.add("completions/max_length", at(fields[kLength].max()));
    m.add("completions/clipped_ratio", at(fields[kTruncated].mean()));
    if (rloo && settings_.beta != 0) m.add("kl", at(fields[kKl].mean()));
  }
  return out;
}

BatchLoss OnlineRlTask::loss(const TrainingBatch& batch) {
  const auto& b = static_cast<const OnlineBatch&>(batch);
  const auto p =
      answer_token_logps(policy_.model, b.sequences, settings_.sampling.temperature, true);
  // One pass per generation: the sampling policy is this one (ratio 1 with a live gradient).
  const CompletionTokens t{p.logp, p.logp.detach(), b.ref_logp, p.owner, b.sequences.sequences};
  const double tokens = double(p.logp.size(0)), completions = double(t.completions);
  BatchLoss out;
  out.metric_sums = b.step_metrics;
  out.metric_sums["entropy"] = at(p.entropy.sum());
  out.metric_sums["units/entropy"] = tokens;
  if (settings_.method == OnlineMethod::kRloo) {
    const auto l = rloo_loss(t, b.advantages, settings_.epsilon_low, settings_.epsilon_high);
    out.sum = l.sum;
    out.metric_sums["clip_ratio"] = at(l.clipped.sum());
    out.metric_sums["units/clip_ratio"] = completions;
    return out;
  }
  GrpoSettings s{settings_.epsilon_low, settings_.epsilon_high, settings_.beta,
                 settings_.aggregation, settings_.sampling.max_new_tokens};
  const auto l = grpo_loss(t, b.advantages, s);
  out.sum = l.sum;
  const auto low = at(l.clipped_low.sum()), high = at(l.clipped_high.sum());
  for (auto [name, v] : {std::pair<const char*, double>{"clip_ratio/low_mean", low},
                         {"clip_ratio/high_mean", high},
                         {"clip_ratio/region_mean", low + high}}) {
    out.metric_sums[name] = v;
    out.metric_sums[kMetricUnits + name] = tokens;
  }
  if (l.kl.defined()) {
    out.metric_sums["kl"] = at(l.kl.sum());
    out.metric_sums["units/kl"] = tokens;
  }
  return out;
}

std::map<std::string, double> OnlineRlTask::evaluate() {
  std::vector<RolloutSlot> slots;
  for (std::size_t i = 0; i < eval_.size(); ++i) slots.push_back({i, 0, -1});
  const auto s = sample_and_score(eval_, slots);
  double total = 0, model = 0, safety = 0, rules = 0, violations = 0, length = 0, cut = 0;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const auto& r = s.rewards[i];
    total += r.total(), model += r.model, safety += r.safety, rules += r.rules;
    violations += r.violation;
    length += double(s.rollouts[i].completion_tokens());
    cut += s.rollouts[i].truncated;
  }
  const double n = double(slots.size());
  std::map<std::string, double> m{{"loss", -total / n},
                                  {"reward", total / n},
                                  {"rewards/safety/mean", safety / n},
                                  {"rewards/rules/mean", rules / n},
                                  {"safety/violations", violations / n},
                                  {"completions/mean_length", length / n},
                                  {"completions/clipped_ratio", cut / n}};
  if (rewards_->has_reward_model()) m["rewards/model/mean"] = model / n;
  return m;
}

void OnlineRlTask::set_training(bool) {
  policy_.model->train(false);  // dropout off in training too (TRL's disable_dropout)
}

void OnlineRlTask::weights_changed() { policy_.model->invalidate_precision_cache(); }

}  // namespace chosei
