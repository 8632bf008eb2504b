// The offline preference objectives (align/): each loss against values computed here by hand
// from its formula, step 0 (policy = reference) giving ln 2 and zero rewards, a cached
// reference equal to a live one, and every method's loss and gradients against a PyTorch
// program (tests/reference/align_reference.py) for a tiny random policy and reference.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "align/kto_loss.h"
#include "align/kto_task.h"
#include "align/orpo_loss.h"
#include "align/preference_objective.h"
#include "align/preference_optimization_task.h"
#include "align/reference_logps.h"
#include "align/sequence_logps.h"
#include "formats/model_dir.h"
#include "formats/safetensors_reader.h"
#include "formats/tensor_io.h"
#include "test_data.h"
#include "tests/unit/random_pairs.h"
#include "tests/unit/reference_gradients.h"
#include "tests/unit/tiny_score_model.h"

namespace chosei {
namespace {

double softplus(double x) { return std::log1p(std::exp(x)); }  // -log sigmoid(-x)

// Two pairs: Δ = 1.0 and -0.2; answers of 2/3 and 4/1 tokens.
PairLogps two_pairs() {
  PairLogps p;
  p.chosen = torch::tensor({-2.0, -5.0});
  p.rejected = torch::tensor({-3.0, -4.0});
  p.ref_chosen = torch::tensor({-2.5, -5.0});
  p.ref_rejected = torch::tensor({-2.5, -4.2});
  p.chosen_tokens = torch::tensor({2.0, 4.0});
  p.rejected_tokens = torch::tensor({3.0, 1.0});
  return p;
}

std::vector<double> values(const torch::Tensor& t) {
  auto c = t.to(torch::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

void expect_values(const torch::Tensor& t, const std::vector<double>& want) {
  const auto got = values(t);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
}

TEST(PreferenceLosses, EachMethodEqualsItsFormulaByHand) {
  const auto p = two_pairs();
  const ChosenNll nll{torch::tensor({1.5, 2.0}), torch::tensor({1.2, 1.8})};
  auto run = [&](const char* method, double beta, double eps = 0, double gamma = 0.5) {
    PreferenceObjective o;
    o.method = parse_preference_method(method);
    o.beta = beta, o.label_smoothing = eps, o.gamma = gamma;
    return preference_objective(o, p, nll);
  };
  // DPO, β = 0.5: −log σ(βΔ) = softplus(−βΔ).
  auto dpo = run("dpo", 0.5);
  expect_values(dpo.losses, {softplus(-0.5), softplus(0.1)});
  expect_values(dpo.pair.chosen_rewards, {0.25, 0.0});
  expect_values(dpo.pair.rejected_rewards, {-0.25, 0.1});
  // cDPO, ε = 0.1.
  expect_values(run("cdpo", 0.5, 0.1).losses, {0.9 * softplus(-0.5) + 0.1 * softplus(0.5),
                                               0.9 * softplus(0.1) + 0.1 * softplus(-0.1)});
  // Robust, ε = 0.1: [(1−ε) softplus(−z) − ε softplus(z)] / (1 − 2ε).
  expect_values(run("robust", 0.5, 0.1).losses,
                {(0.9 * softplus(-0.5) - 0.1 * softplus(0.5)) / 0.8,
                 (0.9 * softplus(0.1) - 0.1 * softplus(-0.1)) / 0.8});
  // IPO on averages: pair 1 (−1 + 1.25) − (−1 + 2.5/3); pair 2 (−1.25 + 1.25) − (−4 + 4.2).
  const double a1 = 0.25 - (-1.0 + 2.5 / 3.0), a2 = 0.0 - 0.2;
  expect_values(run("ipo", 0.5).losses, {std::pow(a1 - 1.0, 2), std::pow(a2 - 1.0, 2)});
  expect_values(run("hinge", 0.5).losses, {0.5, 1.1});
  // SimPO, β = 2, γ = 0.3: avg_c − avg_r = (−1 − −1), (−1.25 − −4).
  expect_values(run("simpo", 2.0, 0, 0.3).losses, {softplus(0.3), softplus(-(2.0 * 2.75 - 0.3))});
  // ORPO, β = 0.5: l = −1/−1 (odds ratio 1: ln 2), and −1.25/−4.
  const double lc = -1.25, lr = -4.0;
  const double odds = (lc - lr) - (std::log(1 - std::exp(lc)) - std::log(1 - std::exp(lr)));
  auto orpo = run("orpo", 0.5);
  expect_values(orpo.losses, {1.2 + 0.5 * std::log(2.0), 1.8 + 0.5 * softplus(-odds)});
  expect_values(orpo.pair.log_odds, {0.0, odds});
  // sft_weight adds the chosen answer's NLL.
  PreferenceObjective o;
  o.beta = 0.5, o.sft_weight = 0.2;
  expect_values(preference_objective(o, p, nll).losses,
                {softplus(-0.5) + 0.3, softplus(0.1) + 0.4});
  EXPECT_THROW(parse_preference_method("ppo"), std::invalid_argument);
}

TEST(PreferenceLosses, KtoEqualsItsFormulaByHandWithADetachedClampedReferencePoint) {
  KtoInputs in;
  in.policy = torch::tensor({-2.0, -3.0, -1.0}, torch::requires_grad());
  in.reference = torch::tensor({-2.5, -2.0, -1.0});
  in.desirable = torch::tensor({true, false, true});
  in.kl_policy = torch::tensor({-4.0, -3.0}, torch::requires_grad());
  in.kl_reference = torch::tensor({-4.6, -3.2});  // mean log-ratio 0.4
  auto l = kto_loss(in, 0.5, 1.0, 1.5);
  auto sig = [](double x) { return 1 / (1 + std::exp(-x)); };
  EXPECT_NEAR(l.kl.item<double>(), 0.4, 1e-6);
  expect_values(l.losses, {1 - sig(0.5 * (0.5 - 0.4)), 1.5 * (1 - sig(0.5 * (0.4 + 1.0))),
                           1 - sig(0.5 * (0.0 - 0.4))});
  expect_values(l.rewards, {0.25, -0.5, 0.0});
  l.losses.sum().backward();
  EXPECT_FALSE(in.kl_policy.grad().defined() && in.kl_policy.grad().abs().sum().item<double>() > 0)
      << "the reference point is detached";
  // A negative KL estimate is clamped to 0.
  in.kl_reference = torch::tensor({-3.0, -2.0});
  EXPECT_EQ(kto_loss(in, 0.5, 1.0, 1.0).kl.item<double>(), 0.0);
  EXPECT_EQ(kto_weight_warning(10, 10, 1.0, 1.0), "");
  EXPECT_NE(kto_weight_warning(10, 30, 1.0, 1.0), "");
  EXPECT_EQ(kto_weight_warning(10, 30, 3.5, 1.0), "");  // 35 / 30 in [1, 4/3]
}

TEST(PreferenceLosses, Log1mexpIsAccurateNearZeroAndFarBelow) {
  for (double x : {-1e-9, -1e-4, -0.3, -0.7, -5.0, -40.0}) {
    const double want = x > -0.69 ? std::log(-std::expm1(x)) : std::log1p(-std::exp(x));
    EXPECT_NEAR(log1mexp(torch::tensor({x}, torch::kDouble)).item<double>(), want,
                1e-12 * std::max(1.0, std::abs(want)))
        << x;
  }
}

LlamaForCausalLM tiny_policy(std::uint64_t seed) { return test::tiny_causal_lm(seed); }

PreferenceBatching packed(std::int64_t pairs) {
  PreferenceBatching b;
  b.pairs_per_batch = pairs;
  b.max_seq_len = 24;  // several sequences per row
  b.pad_id = 2;
  return b;
}

ReferenceBatching reference_batching() {
  ReferenceBatching r;
  r.pairs_per_batch = 3;
  r.capacity = 24;
  r.pad_id = 2;
  return r;
}

TEST(PreferenceOptimization, AtStepZeroTheLossIsLn2AndEveryRewardZero) {
  auto policy = tiny_policy(3);
  auto pairs = test::random_pairs(6, 1);
  ScoredPairs train{pairs, compute_reference_logps(policy, pairs, reference_batching())};
  PreferenceOptimizationTask task(policy, train, {}, PreferenceObjective{}, packed(6));
  task.set_training(true);
  auto batches = task.train_batches(0, 0);
  ASSERT_EQ(batches.size(), 1u);
  auto l = task.loss(*batches[0]);
  EXPECT_NEAR(l.sum.item<double>() / 6, std::log(2.0), 1e-6);
  EXPECT_NEAR(l.metric_sums["rewards/chosen"], 0, 1e-5);
  EXPECT_NEAR(l.metric_sums["rewards/margins"], 0, 1e-5);
}

TEST(PreferenceOptimization, PackedAnswerLogProbsEqualEachSequenceAlone) {
  auto policy = tiny_policy(4);
  policy->eval();
  auto pairs = test::random_pairs(5, 2);
  torch::NoGradGuard no_grad;
  const auto packed = compute_reference_logps(policy, pairs, reference_batching());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& s = pairs[i].chosen;
    auto ids = torch::tensor(std::vector<std::int64_t>(s.ids.begin(), s.ids.end())).unsqueeze(0);
    auto lp = torch::log_softmax(policy->forward(ids), -1)[0];
    double want = 0;
    for (std::size_t t = s.prompt_tokens; t < s.ids.size(); ++t)
      want += lp[static_cast<long>(t - 1)][s.ids[t]].item<double>();
    EXPECT_NEAR(packed.chosen[i], want, 1e-4) << i;
  }
}

TEST(PreferenceOptimization, ACachedReferenceEqualsALiveOneAndIsKeyedOnDataAndWeights) {
  auto ref = tiny_policy(5);
  auto pairs = test::random_pairs(4, 3);
  const auto dir = test::temp_dir("align_ref_cache");
  const auto key = reference_cache_key(weights_sha256(ref), pairs, "fp32", 1.0);
  bool reused = true;
  int computed = 0;
  auto compute = [&] {
    ++computed;
    return compute_reference_logps(ref, pairs, reference_batching());
  };
  const auto live = cached_reference_logps(dir, key, pairs.size(), compute, &reused);
  EXPECT_FALSE(reused);
  const auto cached = cached_reference_logps(dir, key, pairs.size(), compute, &reused);
  EXPECT_TRUE(reused);
  EXPECT_EQ(computed, 1);
  EXPECT_EQ(live.chosen, cached.chosen);  // bit for bit: the same losses follow
  EXPECT_EQ(live.rejected, cached.rejected);
  auto other = pairs;
  other[0].rejected.ids.back() = 3;
  EXPECT_NE(reference_cache_key(weights_sha256(ref), other, "fp32", 1.0), key);
  auto other_weights = tiny_policy(6);
  EXPECT_NE(reference_cache_key(weights_sha256(other_weights), pairs, "fp32", 1.0), key);
  EXPECT_NE(reference_cache_key(weights_sha256(ref), pairs, "bf16", 1.0), key);
}

TEST(PreferenceOptimization, EveryMethodsLossAndGradientsMatchPyTorch) {
  const auto python = test::reference_python();
  if (python.empty()) GTEST_SKIP() << "python3 with torch not available";
  const auto dir = test::temp_dir("align_step_ref");
  auto reference = tiny_policy(21);
  LoadedModel saved;
  saved.model = reference;
  save_model_dir(dir + "/reference", saved);
  auto pairs = test::random_pairs(5, 9);
  nlohmann::json data = {{"chosen", nlohmann::json::array()},
                         {"rejected", nlohmann::json::array()},
                         {"prompt_tokens", nlohmann::json::array()}};
  for (const auto& e : pairs) {
    data["chosen"].push_back(e.chosen.ids);
    data["rejected"].push_back(e.rejected.ids);
    data["prompt_tokens"].push_back(e.chosen.prompt_tokens);
  }
  const auto ref_logps = compute_reference_logps(reference, pairs, reference_batching());
  struct Case {
    const char* method;
    double beta, eps, gamma, sft;
  };
  for (const Case c :
       {Case{"dpo", 0.5, 0, 0, 0}, Case{"cdpo", 0.5, 0.2, 0, 0}, Case{"robust", 0.5, 0.2, 0, 0},
        Case{"ipo", 0.5, 0, 0, 0}, Case{"hinge", 0.5, 0, 0, 0}, Case{"simpo", 2.0, 0, 0.4, 0},
        Case{"orpo", 0.5, 0, 0, 0}, Case{"dpo", 0.5, 0, 0, 0.7}}) {
    SCOPED_TRACE(std::string(c.method) + (c.sft ? " + sft" : ""));
    auto policy = tiny_policy(22);  // fresh each time: the gradient of the same weights
    saved.model = policy;
    save_model_dir(dir + "/policy", saved);
    data["method"] = c.method, data["beta"] = c.beta, data["label_smoothing"] = c.eps;
    data["gamma"] = c.gamma, data["sft_weight"] = c.sft;
    { std::ofstream(dir + "/pairs.json") << data.dump(); }
    std::string out;
    ASSERT_EQ(
        test::run_command(python + " " + test::source_dir() +
                              "/tests/reference/align_reference.py " + dir + "/policy " + dir +
                              "/reference " + dir + "/pairs.json " + dir + "/ref.safetensors 2>&1",
                          &out),
        0)
        << out;
    SafetensorsReader ref(dir + "/ref.safetensors");
    PreferenceObjective o;
    o.method = parse_preference_method(c.method);
    o.beta = c.beta, o.label_smoothing = c.eps, o.gamma = c.gamma, o.sft_weight = c.sft;
    ScoredPairs train{pairs, needs_reference(o.method) ? ref_logps : ReferenceLogps{}};
    PreferenceOptimizationTask task(policy, train, {}, o, packed(5));
    task.set_training(true);
    auto batches = task.train_batches(0, 0);
    ASSERT_EQ(batches.size(), 1u);
    policy->zero_grad();
    auto mean = task.loss(*batches[0]).sum / 5.0;
    mean.backward();
    EXPECT_NEAR(mean.item<double>(), tensor_from_view(ref.tensor("loss")).item<double>(), 1e-5);
    auto want_ref = tensor_from_view(ref.tensor("ref_chosen"));
    for (std::size_t i = 0; i < pairs.size(); ++i)
      EXPECT_NEAR(ref_logps.chosen[i], want_ref[static_cast<long>(i)].item<double>(), 1e-4);
    const double worst = test::expect_gradients_match(*policy, ref);
    std::cout << c.method << (c.sft ? "+sft" : "") << ": loss " << mean.item<double>()
              << ", max |gradient difference| " << worst << "\n";
  }
}

TEST(PreferenceOptimization, KtoLossAndGradientsMatchPyTorchWithMismatchedPairs) {
  const auto python = test::reference_python();
  if (python.empty()) GTEST_SKIP() << "python3 with torch not available";
  const auto dir = test::temp_dir("kto_step_ref");
  auto reference = tiny_policy(31), policy = tiny_policy(32);
  LoadedModel saved;
  saved.model = reference;
  save_model_dir(dir + "/reference", saved);
  saved.model = policy;
  save_model_dir(dir + "/policy", saved);
  // Five KTO examples: the completions of random pairs, the mismatched partner of each the
  // next one's completion in the group (rotated by one).
  std::vector<KtoExample> examples;
  for (const auto& p : test::random_pairs(5, 17))
    examples.push_back({p.chosen, {}, examples.size() % 2 == 0});
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const auto& own = examples[i].completion;
    const auto& other = examples[(i + 1) % examples.size()].completion;
    auto& m = examples[i].mismatched;
    m.ids.assign(own.ids.begin(), own.ids.begin() + static_cast<long>(own.prompt_tokens));
    m.ids.insert(m.ids.end(), other.ids.begin() + static_cast<long>(other.prompt_tokens),
                 other.ids.end());
    m.prompt_tokens = own.prompt_tokens;
  }
  nlohmann::json data = {{"method", "kto"},
                         {"beta", 0.5},
                         {"desirable_weight", 1.0},
                         {"undesirable_weight", 1.3},
                         {"completion", nlohmann::json::array()},
                         {"mismatched", nlohmann::json::array()},
                         {"prompt_tokens", nlohmann::json::array()},
                         {"desirable", nlohmann::json::array()}};
  for (const auto& e : examples) {
    data["completion"].push_back(e.completion.ids);
    data["mismatched"].push_back(e.mismatched.ids);
    data["prompt_tokens"].push_back(e.completion.prompt_tokens);
    data["desirable"].push_back(e.desirable);
  }
  { std::ofstream(dir + "/kto.json") << data.dump(); }
  std::string out;
  ASSERT_EQ(
      test::run_command(python + " " + test::source_dir() + "/tests/reference/align_reference.py " +
                            dir + "/policy " + dir + "/reference " + dir + "/kto.json " + dir +
                            "/ref.safetensors 2>&1",
                        &out),
      0)
      << out;
  SafetensorsReader ref(dir + "/ref.safetensors");
  ScoredKtoExamples train{examples, compute_reference_logps(reference, kto_scoring_pairs(examples),
                                                            reference_batching())};
  KtoTask task(policy, train, {}, KtoSettings{0.5, 1.0, 1.3}, packed(5));
  task.set_training(true);
  auto batches = task.train_batches(0, 0);
  ASSERT_EQ(batches.size(), 1u);
  policy->zero_grad();
  auto l = task.loss(*batches[0]);
  auto mean = l.sum / 5.0;
  mean.backward();
  EXPECT_NEAR(mean.item<double>(), tensor_from_view(ref.tensor("loss")).item<double>(), 1e-5);
  EXPECT_NEAR(l.metric_sums["kl"] / 5, tensor_from_view(ref.tensor("kl")).item<double>(), 1e-5);
  const double worst = test::expect_gradients_match(*policy, ref);
  std::cout << "kto: loss " << mean.item<double>() << ", kl " << l.metric_sums["kl"] / 5
            << ", max |gradient difference| " << worst << "\n";
}

}  // namespace
}  // namespace chosei
