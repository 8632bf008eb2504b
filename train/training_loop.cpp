#include "train/training_loop.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "base/peak_memory.h"
#include "train/checkpoint_store.h"
#include "train/early_stopping.h"
#include "train/metrics_log.h"

namespace chosei {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Where the loop stands in the data: the batches of `epoch`, the next one at `cursor`.
struct DataPosition {
  std::int64_t epoch = 0, cursor = 0;
  TrainingBatches batches;
};

}  // namespace

struct TrainingLoop::StepOutcome {
  double loss_sum = 0, grad_norm = 0;
  std::int64_t tokens = 0, samples = 0;
  std::map<std::string, double> metric_sums;
  bool finite = true;
};

TrainingLoop::TrainingLoop(TrainingOptions options, TrainingTask& task, NamedParameters trainable,
                           std::function<void(const std::string&)> save_model)
    : opt_(std::move(options)),
      task_(task),
      trainable_(std::move(trainable)),
      save_model_(std::move(save_model)),
      interactive_(isatty(STDERR_FILENO)) {
  optimizer_ = make_adamw(
      trainable_, {opt_.schedule.peak, opt_.weight_decay, opt_.beta1, opt_.beta2, opt_.adam_eps});
  dp_ = DataParallel::from_environment();
  if (dp_) {
    writer_ = dp_->rank() == 0;
    interactive_ = interactive_ && writer_;
    broadcast_from_rank0();
  }
}

void TrainingLoop::broadcast_from_rank0() {
  // A broadcast as a sum with zeros elsewhere: every process starts from rank 0's weights.
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> mine;
  for (auto& [name, p] : trainable_)
    mine.push_back(writer_ ? p.detach().clone() : torch::zeros_like(p));
  dp_->all_reduce_sum(mine);
  for (std::size_t i = 0; i < mine.size(); ++i) trainable_[i].second.copy_(mine[i]);
}

TrainingLoop::StepOutcome TrainingLoop::optimizer_step(const TrainingBatches& micro,
                                                       std::int64_t count, double lr) {
  StepOutcome out;
  optimizer_->zero_grad();
  const double norm = double(std::max<std::int64_t>(1, count));
  for (const auto& b : micro) {
    auto loss = task_.loss(*b);
    // Normalized by the units of the whole accumulated batch, not per micro-batch.
    (loss.sum / norm).backward();
    out.loss_sum += loss.sum.item<double>();
    out.tokens += b->tokens;
    out.samples += b->samples;
    for (const auto& [k, v] : loss.metric_sums) out.metric_sums[k] += v;
  }
  if (opt_.l1 > 0) {
    torch::Tensor penalty = torch::zeros({});
    for (auto& [name, p] : trainable_)
      if (is_decayed(name)) penalty = penalty + p.abs().sum();
    (penalty * opt_.l1).backward();
  }
  std::vector<torch::Tensor> params;
  for (auto& [name, p] : trainable_) params.push_back(p);
  if (dp_) {
    std::vector<torch::Tensor> grads;
    for (auto& p : params) {
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      grads.push_back(p.grad());
    }
    std::vector<double> scalars{out.loss_sum, double(out.tokens), double(out.samples)};
    for (const auto& [k, v] : out.metric_sums) scalars.push_back(v);
    auto packed = torch::tensor(scalars, torch::kFloat64);
    grads.push_back(packed);
    dp_->all_reduce_sum(grads);
    out.loss_sum = packed[0].item<double>();
    out.tokens = static_cast<std::int64_t>(packed[1].item<double>());
    out.samples = static_cast<std::int64_t>(packed[2].item<double>());
    std::int64_t i = 3;
    for (auto& [k, v] : out.metric_sums) v = packed[i++].item<double>();
  }
  out.grad_norm =
      torch::nn::utils::clip_grad_norm_(params, opt_.max_grad_norm > 0 ? opt_.max_grad_norm : 1e30);
  out.finite = std::isfinite(out.loss_sum) && std::isfinite(out.grad_norm);
  if (out.finite) {
    set_learning_rate(*optimizer_, lr);
    optimizer_->step();
  } else {
    optimizer_->zero_grad();  // NaN/Inf guard: drop this update, keep the weights
  }
  return out;
}

TrainResult TrainingLoop::fit() {
  fs::create_directories(opt_.out_dir);
  DataPosition data;
  data.batches = task_.train_batches(0, opt_.seed);
  if (data.batches.empty()) throw std::invalid_argument("no training batches");
  const auto per_epoch =
      static_cast<std::int64_t>(std::ceil(double(data.batches.size()) / double(opt_.grad_accum)));
  const std::int64_t total =
      opt_.max_steps > 0 ? opt_.max_steps
                         : std::max<std::int64_t>(1, std::llround(opt_.epochs * double(per_epoch)));
  opt_.schedule.total_steps = total;
  opt_.schedule.validate();

  TrainResult result;
  EarlyStopping stopping(opt_.early_stopping_patience, opt_.early_stopping_min_delta);
  MetricsLog metrics(opt_.out_dir, writer_);
  CheckpointStore checkpoints(opt_.out_dir, opt_.keep_checkpoints);
  std::int64_t step = 0;
  double elapsed_before = 0;
  std::int64_t tokens_seen = 0;  // every process's tokens trained on so far, for "tokens"
  if (opt_.resume_from == "auto") {
    auto latest = checkpoints.latest();
    result.resumed_from = latest ? *latest : "";
  } else {
    result.resumed_from = opt_.resume_from;
  }
  if (!result.resumed_from.empty()) {
    auto state = CheckpointStore::load(result.resumed_from, trainable_, *optimizer_);
    task_.weights_changed();
    step = state.at("step"), data.epoch = state.at("epoch"), data.cursor = state.at("cursor");
    elapsed_before = state.value("elapsed_s", 0.0);
    tokens_seen = state.value("tokens_seen", std::int64_t{0});
    result.skipped_nonfinite = state.value("skipped_nonfinite", std::int64_t{0});
    stopping.restore(state);
    if (data.epoch != 0) data.batches = task_.train_batches(data.epoch, opt_.seed);
    metrics.truncate_after(step);
    std::fprintf(stderr, "resuming from %s (step %lld)\n", result.resumed_from.c_str(),
                 static_cast<long long>(step));
  } else {
    metrics.start_fresh();
  }

  auto run_eval = [&](std::int64_t at) {
    if (!task_.has_eval()) return;
    // Inference caches (fused q|k|v and gate|up weights, bf16 copies) were built from the
    // weights of the previous evaluation; the optimizer has changed them since.
    task_.weights_changed();
    auto values = task_.evaluate();
    json line{{"step", at}};
    std::string shown;
    for (const auto& [k, v] : values) {
      line["eval_" + k] = v;
      char buf[64];
      std::snprintf(buf, sizeof buf, " eval_%s %.4f", k.c_str(), v);
      shown += buf;
    }
    metrics.append(line);
    if (writer_)
      std::fprintf(stderr, "%sstep %lld%s\n", interactive_ ? "\r\033[K" : "",
                   static_cast<long long>(at), shown.c_str());
    if (values.count("loss") && stopping.observe(at, values.at("loss")) && stopping.enabled() &&
        writer_)
      save_model_((fs::path(opt_.out_dir) / "best").string());
  };
  if (step == 0) run_eval(0);
  task_.set_training(true);
  const std::int64_t first_step = step;
  const auto start = Clock::now();
  std::int64_t tokens_since_log = 0, samples_since_log = 0;
  auto log_clock = Clock::now();
  const int world = dp_ ? dp_->world_size() : 1, rank = dp_ ? dp_->rank() : 0;
  while (step < total) {
    torch::manual_seed(opt_.seed + static_cast<std::uint64_t>(step));  // dropout, per step
    // A step takes grad_accum micro-batches per process; process r takes every world-th
    // one, and the normalizer counts the units of all of them (every process builds the
    // same batches, so none needs to ask the others).
    TrainingBatches micro, all;
    std::int64_t count = 0;
    for (std::int64_t k = 0; k < opt_.grad_accum * world; ++k) {
      if (data.cursor >= static_cast<std::int64_t>(data.batches.size()))
        data.batches = task_.train_batches(++data.epoch, opt_.seed), data.cursor = 0;
      const auto& b = data.batches[data.cursor++];
      count += b->count;
      all.push_back(b);
      if (k % world == rank) micro.push_back(b);
    }
    if (task_.online()) {
      StepContext context{world, rank, [this](const std::vector<torch::Tensor>& t) {
                            if (dp_) dp_->all_reduce_sum(t);
                          }};
      auto rolled = task_.roll_out(all, context);
      micro = std::move(rolled.mine), count = rolled.count;
      task_.set_training(true);
    }
    const double lr = opt_.schedule.at(step);
    auto outcome = optimizer_step(micro, count, lr);
    if (!outcome.finite) {
      ++result.skipped_nonfinite;
      std::fprintf(stderr, "step %lld: non-finite loss or gradient; update skipped\n",
                   static_cast<long long>(step + 1));
      if (result.skipped_nonfinite >= 5)
        throw std::runtime_error("training diverged: 5 non-finite steps");
    }
    ++step;
    tokens_seen += outcome.tokens;
    tokens_since_log += outcome.tokens;
    samples_since_log += outcome.samples;
    const double norm = double(std::max<std::int64_t>(1, count));
    const double train_loss = outcome.loss_sum / norm;
    result.last_train_loss = train_loss;
    if (writer_ && opt_.log_every > 0 && (step % opt_.log_every == 0 || step == total)) {
      const double dt = seconds_since(log_clock), elapsed = elapsed_before + seconds_since(start);
      const double tps = tokens_since_log / std::max(dt, 1e-9);
      json line{{"step", step},
                {"epoch", data.epoch},
                {"loss", train_loss},
                {"lr", lr},
                {"grad_norm", outcome.grad_norm},
                {"tokens_per_s", tps},
                {"elapsed_s", elapsed},
                {"total_steps", total},
                {"tokens", tokens_seen},
                {"peak_rss_mb", double(peak_resident_bytes()) / (1024.0 * 1024.0)}};
      if (samples_since_log > 0) line["samples_per_s"] = samples_since_log / std::max(dt, 1e-9);
      for (const auto& [k, v] : outcome.metric_sums) {
        if (k.rfind(kMetricUnits, 0) == 0) continue;
        const auto units = outcome.metric_sums.find(kMetricUnits + k);
        if (units == outcome.metric_sums.end())
          line[k] = v / norm;
        else if (units->second > 0)
          line[k] = v / units->second;
      }
      metrics.append(line);
      const double eta = seconds_since(start) /
                         double(std::max<std::int64_t>(1, step - first_step)) *
                         double(total - step);
      std::fprintf(stderr,
                   "%sstep %lld/%lld  loss %.4f  lr %.2e  grad %.3f  %.0f tok/s  ETA %.0fs%s",
                   interactive_ ? "\r\033[K" : "", static_cast<long long>(step),
                   static_cast<long long>(total), train_loss, lr, outcome.grad_norm, tps, eta,
                   interactive_ ? "" : "\n");
      tokens_since_log = 0, samples_since_log = 0;
      log_clock = Clock::now();
    }
    const bool eval_now = opt_.eval_every > 0 && step % opt_.eval_every == 0;
    if (eval_now) run_eval(step);
    if (writer_ && opt_.save_every > 0 && step % opt_.save_every == 0) {
      json state{{"step", step},
                 {"epoch", data.epoch},
                 {"cursor", data.cursor},
                 {"seed", opt_.seed},
                 {"total_steps", total},
                 {"elapsed_s", elapsed_before + seconds_since(start)},
                 {"skipped_nonfinite", result.skipped_nonfinite},
                 {"tokens_seen", tokens_seen}};
      state.update(stopping.state());
      checkpoints.save(step, state, save_model_, trainable_, *optimizer_);
    }
    if (eval_now && stopping.should_stop()) {
      result.stopped_early = true;
      break;
    }
  }
  if (interactive_) std::fprintf(stderr, "\n");
  if (opt_.eval_every <= 0 || step % opt_.eval_every != 0) run_eval(step);
  result.steps = step;
  result.first_eval_loss = stopping.first_loss();
  result.best_eval_loss = stopping.best_loss();
  result.best_step = stopping.best_step();
  task_.weights_changed();  // inference after training must not see stale copies
  return result;
}

TrainingLoop::LrFinding TrainingLoop::find_lr(double min_lr, double max_lr, std::int64_t steps) {
  if (!(min_lr > 0 && max_lr > min_lr && steps >= 2))
    throw std::invalid_argument("find_lr: need 0 < min_lr < max_lr and steps >= 2");
  std::vector<torch::Tensor> saved;
  for (auto& [name, p] : trainable_) saved.push_back(p.detach().clone());
  std::ostringstream opt_state;
  {
    torch::serialize::OutputArchive archive;
    optimizer_->save(archive);
    archive.save_to(opt_state);
  }
  if (task_.online())
    throw std::invalid_argument(
        "the learning-rate finder needs an offline task, not an online one");
  LrFinding out;
  auto batches = task_.train_batches(0, opt_.seed);
  if (batches.empty()) throw std::invalid_argument("no training batches");
  task_.set_training(true);
  double smoothed = 0, best = 1e300;
  for (std::int64_t i = 0; i < steps; ++i) {
    const double lr = min_lr * std::pow(max_lr / min_lr, double(i) / double(steps - 1));
    const auto& b = batches[static_cast<std::size_t>(i) % batches.size()];
    optimizer_->zero_grad();
    auto mean = task_.loss(*b).sum / double(std::max<std::int64_t>(1, b->count));
    mean.backward();
    set_learning_rate(*optimizer_, lr);
    optimizer_->step();
    const double l = mean.item<double>();
    // Exponential moving average with bias correction, as fastai's LRFinder.
    smoothed = 0.98 * smoothed + 0.02 * l;
    const double value = smoothed / (1 - std::pow(0.98, double(i + 1)));
    if (!std::isfinite(value)) break;
    out.points.emplace_back(lr, value);
    best = std::min(best, value);
    if (value > 4 * best) break;
  }
  // The rate at the smoothed loss's minimum, divided by 10: below the point where training
  // turns unstable (fastai's "minimum / 10" reading of Smith's plot; the steepest-descent
  // reading is too sensitive to batch-to-batch noise at tiny rates).
  double lowest = 1e300;
  for (auto [lr, loss] : out.points)
    if (loss < lowest) lowest = loss, out.suggested_lr = lr / 10;
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < saved.size(); ++i) trainable_[i].second.copy_(saved[i]);
  torch::serialize::InputArchive restore;
  std::istringstream in(opt_state.str());
  restore.load_from(in);
  optimizer_->load(restore);
  task_.weights_changed();
  return out;
}

bool promote_best_model(const TrainingOptions& options, const std::string& final_dir) {
  const auto best = std::filesystem::path(options.out_dir) / "best";
  if (options.early_stopping_patience <= 0 || !std::filesystem::exists(best)) return false;
  std::filesystem::remove_all(final_dir);
  std::filesystem::rename(best, final_dir);
  return true;
}

}  // namespace chosei
