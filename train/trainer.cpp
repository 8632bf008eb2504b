#include "train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>
#include <sstream>

#include "model/atomic_file.h"
#include "train/causal_lm_loss.h"
#include "train/lm_evaluation.h"

namespace chosei {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

bool decays(const std::string& name) {
  // HF convention: no weight decay on biases and normalization gains.
  return name.find("bias") == std::string::npos && name.find("norm") == std::string::npos;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

Trainer::Trainer(TrainerOptions options, LlamaForCausalLM model,
                 std::vector<std::pair<std::string, torch::Tensor>> trainable,
                 std::function<void(const std::string&)> save_model)
    : opt_(std::move(options)),
      model_(std::move(model)),
      trainable_(std::move(trainable)),
      save_model_(std::move(save_model)),
      interactive_(isatty(STDERR_FILENO)) {
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& [name, p] : trainable_) (decays(name) ? decay : no_decay).push_back(p);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  auto make = [&](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(opt_.schedule.peak)
            .betas({opt_.beta1, opt_.beta2})
            .eps(opt_.adam_eps)
            .weight_decay(wd));
  };
  if (!decay.empty()) groups.emplace_back(decay, make(opt_.weight_decay));
  if (!no_decay.empty()) groups.emplace_back(no_decay, make(0.0));
  optimizer_ =
      std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(opt_.schedule.peak));
  dp_ = DataParallel::from_environment();
  if (dp_) {
    writer_ = dp_->rank() == 0;
    interactive_ = interactive_ && writer_;
    // Start every process from rank 0's weights (a broadcast as a sum with zeros elsewhere).
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> mine;
    for (auto& [name, p] : trainable_)
      mine.push_back(writer_ ? p.detach().clone() : torch::zeros_like(p));
    dp_->all_reduce_sum(mine);
    for (std::size_t i = 0; i < mine.size(); ++i) trainable_[i].second.copy_(mine[i]);
  }
}

std::vector<PackedBatch> Trainer::epoch_batches(const std::vector<SftExample>& examples,
                                                std::int64_t epoch) const {
  std::vector<std::size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(opt_.seed * 1000003ull + static_cast<std::uint64_t>(epoch));
  std::shuffle(order.begin(), order.end(), rng);
  return make_batches(examples, order, opt_.packing, static_cast<std::size_t>(opt_.max_seq_len),
                      static_cast<std::size_t>(opt_.batch_size), opt_.pad_id, &rng);
}

double Trainer::evaluate(const std::vector<SftExample>& examples) {
  return evaluate_batches(epoch_batches(examples, -1));
}

double Trainer::evaluate_batches(const std::vector<PackedBatch>& batches) {
  if (batches.empty()) return std::nan("");
  auto totals = lm_loss_totals(model_, batches);
  model_->train();
  return totals.mean();
}

void Trainer::log_metrics(const json& line) {
  if (!writer_) return;
  std::ofstream out((fs::path(opt_.out_dir) / "metrics.jsonl").string(), std::ios::app);
  out << line.dump() << "\n";
  out.flush();
}

void Trainer::save_checkpoint(std::int64_t step, const json& state) {
  if (!writer_) return;
  const auto root = fs::path(opt_.out_dir) / "checkpoints";
  const auto final_dir = root / ("step-" + std::to_string(step));
  const auto tmp = root / ("step-" + std::to_string(step) + ".tmp");
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  save_model_(tmp.string());
  torch::serialize::OutputArchive archive;
  optimizer_->save(archive);
  archive.save_to((tmp / "optimizer.pt").string());
  write_file_atomic((tmp / "trainer_state.json").string(), state.dump(2) + "\n");
  fs::remove_all(final_dir);
  fs::rename(tmp, final_dir);  // the checkpoint appears whole or not at all
  // Keep the newest K.
  std::vector<std::pair<std::int64_t, fs::path>> existing;
  for (const auto& e : fs::directory_iterator(root)) {
    const auto name = e.path().filename().string();
    if (name.rfind("step-", 0) == 0 && name.find(".tmp") == std::string::npos)
      existing.emplace_back(std::stoll(name.substr(5)), e.path());
  }
  std::sort(existing.begin(), existing.end());
  for (std::size_t i = 0;
       i + static_cast<std::size_t>(std::max<std::int64_t>(1, opt_.keep_checkpoints)) <
       existing.size();
       ++i)
    fs::remove_all(existing[i].second);
}

json Trainer::load_checkpoint(const std::string& dir) {
  auto state =
      json::parse(read_file((fs::path(dir) / "trainer_state.json").string()), nullptr, false);
  if (state.is_discarded()) throw std::runtime_error(dir + "/trainer_state.json: not valid JSON");
  torch::serialize::InputArchive archive;
  archive.load_from((fs::path(dir) / "optimizer.pt").string());
  optimizer_->load(archive);
  return state;
}

TrainResult Trainer::fit(const std::vector<SftExample>& train,
                         const std::vector<SftExample>& eval) {
  if (train.empty()) throw std::invalid_argument("no training examples");
  fs::create_directories(opt_.out_dir);
  auto batches = epoch_batches(train, 0);
  const auto per_epoch =
      static_cast<std::int64_t>(std::ceil(double(batches.size()) / double(opt_.grad_accum)));
  const std::int64_t total =
      opt_.max_steps > 0 ? opt_.max_steps
                         : std::max<std::int64_t>(1, std::llround(opt_.epochs * double(per_epoch)));
  opt_.schedule.total_steps = total;
  opt_.schedule.validate();

  TrainResult result;
  std::int64_t step = 0, epoch = 0, cursor = 0, evals_without_improvement = 0;
  if (!opt_.resume_from.empty()) {
    auto state = load_checkpoint(opt_.resume_from);
    step = state.at("step"), epoch = state.at("epoch"), cursor = state.at("cursor");
    result.first_eval_loss = state.value("first_eval_loss", 0.0);
    result.best_eval_loss = state.value("best_eval_loss", 0.0);
    result.best_step = state.value("best_step", 0);
    evals_without_improvement = state.value("evals_without_improvement", 0);
    batches = epoch_batches(train, epoch);
  } else {
    fs::remove((fs::path(opt_.out_dir) / "metrics.jsonl"));
  }
  const auto eval_batches = epoch_batches(eval, -1);  // built once, reused at every evaluation
  auto run_eval = [&](std::int64_t at) {
    if (eval.empty()) return;
    double loss = evaluate_batches(eval_batches);
    log_metrics({{"step", at}, {"eval_loss", loss}, {"eval_ppl", std::exp(loss)}});
    if (writer_)
      std::fprintf(stderr, "%sstep %lld eval_loss %.4f ppl %.2f\n", interactive_ ? "\r\033[K" : "",
                   static_cast<long long>(at), loss, std::exp(loss));
    if (at == 0 && opt_.resume_from.empty()) result.first_eval_loss = result.best_eval_loss = loss;
    if (loss < result.best_eval_loss - opt_.early_stopping_min_delta) {
      result.best_eval_loss = loss, result.best_step = at, evals_without_improvement = 0;
      if (opt_.early_stopping_patience > 0 && writer_)
        save_model_((fs::path(opt_.out_dir) / "best").string());
    } else if (at > 0) {
      ++evals_without_improvement;
    }
  };
  if (step == 0) run_eval(0);
  model_->train();
  const auto start = Clock::now();
  std::int64_t tokens_since_log = 0;
  auto log_clock = Clock::now();
  while (step < total) {
    torch::manual_seed(opt_.seed +
                       static_cast<std::uint64_t>(step));  // dropout, reproducible across resumes
    // A step takes grad_accum micro-batches per process; process r takes every world-th
    // one, and the normalizer counts the targets of all of them (every process builds
    // the same batches, so none needs to ask the others).
    const int world = dp_ ? dp_->world_size() : 1, rank = dp_ ? dp_->rank() : 0;
    std::vector<PackedBatch> micro;
    std::int64_t targets = 0;
    for (std::int64_t k = 0; k < opt_.grad_accum * world; ++k) {
      if (cursor >= static_cast<std::int64_t>(batches.size()))
        batches = epoch_batches(train, ++epoch), cursor = 0;
      const auto& b = batches[cursor++];
      targets += b.target_tokens;
      if (k % world == rank) micro.push_back(b);
    }
    optimizer_->zero_grad();
    double loss_sum = 0;
    for (const auto& b : micro) {
      ForwardOptions fwd;
      fwd.positions = b.positions;
      fwd.attention_mask = b.attention_mask;
      auto loss = causal_lm_loss(model_->forward(b.input_ids, fwd), b.targets);
      // Normalize by the targets of the whole accumulated batch, not per micro-batch.
      (loss.sum / double(std::max<std::int64_t>(1, targets))).backward();
      loss_sum += loss.sum.item<double>();
      tokens_since_log += b.tokens;
    }
    if (opt_.l1 > 0) {
      torch::Tensor penalty = torch::zeros({});
      for (auto& [name, p] : trainable_)
        if (decays(name)) penalty = penalty + p.abs().sum();
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
      dp_->all_reduce_sum(grads);
      loss_sum = dp_->all_reduce_sum(loss_sum);
      tokens_since_log = static_cast<std::int64_t>(dp_->all_reduce_sum(double(tokens_since_log)));
    }
    double grad_norm = opt_.max_grad_norm > 0
                           ? torch::nn::utils::clip_grad_norm_(params, opt_.max_grad_norm)
                           : torch::nn::utils::clip_grad_norm_(params, 1e30);
    const double train_loss = loss_sum / double(std::max<std::int64_t>(1, targets));
    const double lr = opt_.schedule.at(step);
    if (!std::isfinite(train_loss) || !std::isfinite(grad_norm)) {
      ++result.skipped_nonfinite;  // NaN/Inf guard: drop this update, keep the weights
      optimizer_->zero_grad();
      std::fprintf(stderr, "step %lld: non-finite loss or gradient; update skipped\n",
                   static_cast<long long>(step + 1));
      if (result.skipped_nonfinite >= 5)
        throw std::runtime_error("training diverged: 5 non-finite steps");
    } else {
      for (auto& g : optimizer_->param_groups())
        static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
      optimizer_->step();
    }
    ++step;
    result.last_train_loss = train_loss;
    if (writer_ && opt_.log_every > 0 && (step % opt_.log_every == 0 || step == total)) {
      const double dt = seconds_since(log_clock), elapsed = seconds_since(start);
      const double tps = tokens_since_log / std::max(dt, 1e-9);
      log_metrics({{"step", step},
                   {"epoch", epoch},
                   {"loss", train_loss},
                   {"lr", lr},
                   {"grad_norm", grad_norm},
                   {"tokens_per_s", tps},
                   {"elapsed_s", elapsed}});
      const double eta = elapsed / double(step) * double(total - step);
      std::fprintf(stderr,
                   "%sstep %lld/%lld  loss %.4f  lr %.2e  grad %.3f  %.0f tok/s  ETA %.0fs%s",
                   interactive_ ? "\r\033[K" : "", static_cast<long long>(step),
                   static_cast<long long>(total), train_loss, lr, grad_norm, tps, eta,
                   interactive_ ? "" : "\n");
      tokens_since_log = 0;
      log_clock = Clock::now();
    }
    const bool eval_now = opt_.eval_every > 0 && step % opt_.eval_every == 0;
    if (eval_now) run_eval(step);
    if (opt_.save_every > 0 && step % opt_.save_every == 0)
      save_checkpoint(step, {{"step", step},
                             {"epoch", epoch},
                             {"cursor", cursor},
                             {"seed", opt_.seed},
                             {"first_eval_loss", result.first_eval_loss},
                             {"best_eval_loss", result.best_eval_loss},
                             {"best_step", result.best_step},
                             {"evals_without_improvement", evals_without_improvement}});
    if (eval_now && opt_.early_stopping_patience > 0 &&
        evals_without_improvement >= opt_.early_stopping_patience) {
      result.stopped_early = true;
      break;
    }
  }
  if (interactive_) std::fprintf(stderr, "\n");
  if (opt_.eval_every <= 0 || step % opt_.eval_every != 0) run_eval(step);
  result.steps = step;
  model_->invalidate_precision_cache();  // inference after training must not see stale copies
  return result;
}

Trainer::LrFinding Trainer::find_lr(const std::vector<SftExample>& train, double min_lr,
                                    double max_lr, std::int64_t steps) {
  if (!(min_lr > 0 && max_lr > min_lr && steps >= 2))
    throw std::invalid_argument("find_lr: need 0 < min_lr < max_lr and steps >= 2");
  std::vector<torch::Tensor> saved;
  for (auto& [name, p] : trainable_) saved.push_back(p.detach().clone());
  torch::serialize::OutputArchive opt_state;
  optimizer_->save(opt_state);
  LrFinding out;
  auto batches = epoch_batches(train, 0);
  model_->train();
  double smoothed = 0, best = 1e300;
  for (std::int64_t i = 0; i < steps; ++i) {
    const double lr = min_lr * std::pow(max_lr / min_lr, double(i) / double(steps - 1));
    const auto& b = batches[static_cast<std::size_t>(i) % batches.size()];
    optimizer_->zero_grad();
    ForwardOptions fwd;
    fwd.positions = b.positions;
    fwd.attention_mask = b.attention_mask;
    auto loss = causal_lm_loss(model_->forward(b.input_ids, fwd), b.targets);
    auto mean = loss.sum / double(std::max<std::int64_t>(1, loss.count));
    mean.backward();
    for (auto& g : optimizer_->param_groups())
      static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
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
  std::ostringstream buffer;
  opt_state.save_to(buffer);
  std::istringstream in(buffer.str());
  restore.load_from(in);
  optimizer_->load(restore);
  model_->invalidate_precision_cache();
  return out;
}

}  // namespace chosei
