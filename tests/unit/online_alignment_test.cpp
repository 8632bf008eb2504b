// The online objectives (align/rloo_loss.h, align/grpo_loss.h): advantages, clipping and
// the k3 KL against values computed here by hand; every GRPO aggregation mode and RLOO's
// sequence-level ratio against a PyTorch program (tests/reference/online_reference.py) for a
// tiny random policy and reference, with the step split into micro-batches the way the
// training loop normalizes it; the LoRA reference (adapters disabled) equal to the base.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "align/grpo_loss.h"
#include "align/rloo_loss.h"
#include "align/sequence_logps.h"
#include "formats/model_dir.h"
#include "formats/safetensors_reader.h"
#include "formats/tensor_io.h"
#include "model/lora.h"
#include "test_data.h"
#include "tests/unit/random_pairs.h"
#include "tests/unit/reference_gradients.h"
#include "tests/unit/tiny_score_model.h"

namespace chosei {
namespace {

std::vector<double> values(const torch::Tensor& t) {
  auto c = t.to(torch::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

void expect_values(const torch::Tensor& t, const std::vector<double>& want, double tol = 1e-5) {
  const auto got = values(t);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << i;
}

TEST(OnlineAdvantages, GrpoNormalizesByTheGroupTheBatchOrNothing) {
  const auto r = torch::tensor({1.0, 2.0, 3.0, 5.0});
  // Groups {1, 2} and {3, 5}: means 1.5 and 4, Bessel stds 0.70711 and 1.41421; the
  // batch's std is 1.70783.
  expect_values(grpo_advantages(r, 2, RewardScaling::kGroup),
                {-0.5 / 0.70721, 0.5 / 0.70721, -1 / 1.41431, 1 / 1.41431}, 1e-4);
  expect_values(grpo_advantages(r, 2, RewardScaling::kBatch),
                {-0.5 / 1.70793, 0.5 / 1.70793, -1 / 1.70793, 1 / 1.70793}, 1e-4);
  expect_values(grpo_advantages(r, 2, RewardScaling::kNone), {-0.5, 0.5, -1, 1});
  EXPECT_DOUBLE_EQ(zero_std_group_share(torch::tensor({1.0, 1.0, 0.0, 2.0}), 2), 0.5);
  EXPECT_THROW(grpo_advantages(r, 3, RewardScaling::kGroup), std::invalid_argument);
  EXPECT_THROW(grpo_advantages(r, 1, RewardScaling::kGroup), std::invalid_argument);
}

TEST(OnlineAdvantages, RlooSubtractsTheOthersMeanAfterTheKlPenalty) {
  // r - 0.1 kl = 0.95, 3, 2, 1.9 in groups of 2: each minus the other.
  expect_values(rloo_advantages(torch::tensor({1.0, 3.0, 2.0, 2.0}),
                                torch::tensor({0.5, 0.0, 0.0, 1.0}), 0.1, 2),
                {-2.05, 2.05, 0.1, -0.1});
  // k = 3: 1 - (2 + 6) / 2 = -3, 2 - 3.5 = -1.5, 6 - 1.5 = 4.5.
  expect_values(rloo_advantages(torch::tensor({1.0, 2.0, 6.0}), torch::zeros({3}), 0.05, 3),
                {-3, -1.5, 4.5});
}

// Two completions: tokens 0-1 of the first (advantage 1), token 2 of the second (-2).
CompletionTokens three_tokens(double d0, double d1, double d2) {
  CompletionTokens t;
  t.old_logp = torch::tensor({-1.0, -2.0, -0.5});
  t.logp = t.old_logp + torch::tensor({d0, d1, d2});
  t.ref_logp = torch::tensor({-1.2, -2.0, -0.4});
  t.owner = torch::tensor({0, 0, 1}, torch::kLong);
  t.completions = 2;
  return t;
}

TEST(OnlineLosses, GrpoClipsEachTokenAndAddsTheK3Kl) {
  // Ratios e^0.3 = 1.3499 (A > 0: clipped at 1.2), e^-0.1 = 0.9048, e^-0.5 = 0.6065 (A < 0:
  // clipped at 0.8, the larger loss is the clipped one: -min(-1.213, -1.6) = 1.6).
  auto t = three_tokens(0.3, -0.1, -0.5);
  const auto A = torch::tensor({1.0, -2.0});
  GrpoSettings s;
  s.aggregation = LossAggregation::kDapo;
  const double p0 = -1.2, p1 = -0.904837, p2 = 1.6;
  auto l = grpo_loss(t, A, s);
  EXPECT_NEAR(l.sum.item<double>(), p0 + p1 + p2, 1e-5);
  expect_values(l.clipped_high, {1, 0, 0});
  expect_values(l.clipped_low, {0, 0, 1});
  s.aggregation = LossAggregation::kGrpo;
  EXPECT_NEAR(grpo_loss(t, A, s).sum.item<double>(), (p0 + p1) / 2 + p2, 1e-5);
  s.aggregation = LossAggregation::kBnpo;
  EXPECT_NEAR(grpo_loss(t, A, s).sum.item<double>(), (p0 + p1 + p2) / 3, 1e-5);
  EXPECT_EQ(aggregation_units(LossAggregation::kDrGrpo, 2, 3, 16), 32);
  EXPECT_EQ(aggregation_units(LossAggregation::kDapo, 2, 3, 16), 3);
  EXPECT_EQ(aggregation_units(LossAggregation::kGrpo, 2, 3, 16), 2);
  EXPECT_EQ(aggregation_units(LossAggregation::kBnpo, 2, 3, 16), 1);
  // k3 with ref - logp = -1.2 + 0.7, -2.0 + 2.1, -0.4 + 1.0 = -0.5, 0.1, 0.6: e^x - x - 1.
  s.beta = 0.5, s.aggregation = LossAggregation::kDapo;
  l = grpo_loss(t, A, s);
  expect_values(l.kl, {std::exp(-0.5) + 0.5 - 1, std::exp(0.1) - 0.1 - 1, std::exp(0.6) - 0.6 - 1});
  EXPECT_NEAR(l.sum.item<double>(), p0 + p1 + p2 + 0.5 * values(l.kl.sum())[0], 1e-5);
  // Ratio 1 everywhere: the loss is -A per token, nothing clipped, k3 of the reference gap.
  s.beta = 0;
  EXPECT_NEAR(grpo_loss(three_tokens(0, 0, 0), A, s).sum.item<double>(), -1 - 1 + 2, 1e-6);
}

TEST(OnlineLosses, RlooTakesOneClippedRatioPerCompletion) {
  // Completion 0: log-ratio 0.3 - 0.1 = 0.2, ratio 1.2214 > 1.2 with A = 1: clipped, 1.2.
  // Completion 1: ratio e^-0.5 = 0.6065 < 0.8 with A = -2: clipped, loss 1.6.
  auto t = three_tokens(0.3, -0.1, -0.5);
  auto l = rloo_loss(t, torch::tensor({1.0, -2.0}), 0.2, 0.2);
  EXPECT_NEAR(l.sum.item<double>(), -1.2 + 1.6, 1e-5);
  expect_values(l.ratio, {std::exp(0.2), std::exp(-0.5)});
  expect_values(l.clipped, {1, 1});
  l = rloo_loss(three_tokens(0.05, 0.05, 0.1), torch::tensor({1.0, -2.0}), 0.2, 0.2);
  EXPECT_NEAR(l.sum.item<double>(), -std::exp(0.1) + 2 * std::exp(0.1), 1e-5);
  expect_values(l.clipped, {0, 0});
}

// Six completions (prompt + answer ids over the tiny vocabulary), one per row.
struct Step {
  std::vector<PromptAnswerIds> sequences;
  std::vector<std::vector<std::size_t>> micro_batches{{0, 1}, {2, 3}, {4, 5}};
};

Step six_completions() {
  Step s;
  for (const auto& e : test::random_pairs(3, 17)) {
    s.sequences.push_back(e.chosen);
    s.sequences.push_back(e.rejected);
  }
  return s;
}

LogpBatch batch_of(const Step& s, const std::vector<std::size_t>& which) {
  std::vector<const PromptAnswerIds*> seqs;
  for (auto i : which) seqs.push_back(&s.sequences[i]);
  return make_logp_batch(seqs, false, 64, 2);
}

TEST(OnlineLosses, EveryGrpoAggregationAndRlooMatchPyTorchOverMicroBatches) {
  const auto python = test::reference_python();
  if (python.empty()) GTEST_SKIP() << "python3 with torch not available";
  const auto dir = test::temp_dir("online_step_ref");
  auto reference = test::tiny_causal_lm(41);
  LoadedModel saved;
  saved.model = reference;
  save_model_dir(dir + "/reference", saved);
  const auto step = six_completions();
  const double temperature = 0.7;
  const std::vector<double> advantages{1.0, -1.0, 0.4, -0.4, 1.5, -1.5};
  // Old log-probs: the policy's own moved by up to ±0.4 per token, so ratios range over
  // 0.67-1.49 and the clip is active on some tokens.
  auto policy0 = test::tiny_causal_lm(42);
  std::vector<torch::Tensor> old;  // per micro-batch, flat over its completion tokens
  nlohmann::json data = {{"sequences", nlohmann::json::array()},
                         {"prompt_tokens", nlohmann::json::array()},
                         {"old", nlohmann::json::array()},
                         {"advantages", advantages},
                         {"micro_batches", step.micro_batches},
                         {"temperature", temperature},
                         {"epsilon_low", 0.2},
                         {"epsilon_high", 0.28},
                         {"max_completion_length", 8}};
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> shift(-0.4, 0.4);
  for (const auto& mb : step.micro_batches) {
    torch::NoGradGuard no_grad;
    const auto p = answer_token_logps(policy0, batch_of(step, mb), temperature);
    auto o = p.logp.clone();
    for (std::int64_t i = 0; i < o.size(0); ++i) o[i] = o[i].item<double>() + shift(rng);
    old.push_back(o);
    for (std::size_t k = 0; k < mb.size(); ++k)
      data["old"].push_back(values(o.masked_select(p.owner.eq(std::int64_t(k)))));
  }
  for (const auto& s : step.sequences) {
    data["sequences"].push_back(s.ids);
    data["prompt_tokens"].push_back(s.prompt_tokens);
  }
  struct Case {
    const char* method;
    const char* aggregation;
    double beta;
  };
  for (const Case c :
       {Case{"grpo", "grpo", 0.0}, Case{"grpo", "bnpo", 0.04}, Case{"grpo", "dr_grpo", 0.0},
        Case{"grpo", "dapo", 0.1}, Case{"rloo", "dapo", 0.0}}) {
    SCOPED_TRACE(std::string(c.method) + "/" + c.aggregation);
    auto policy = test::tiny_causal_lm(42);
    saved.model = policy;
    save_model_dir(dir + "/policy", saved);
    data["method"] = c.method, data["aggregation"] = c.aggregation, data["beta"] = c.beta;
    { std::ofstream(dir + "/step.json") << data.dump(); }
    std::string out;
    ASSERT_EQ(
        test::run_command(python + " " + test::source_dir() +
                              "/tests/reference/online_reference.py " + dir + "/policy " + dir +
                              "/reference " + dir + "/step.json " + dir + "/ref.safetensors 2>&1",
                          &out),
        0)
        << out;
    SafetensorsReader want(dir + "/ref.safetensors");
    GrpoSettings s{0.2, 0.28, c.beta, parse_loss_aggregation(c.aggregation), 8};
    const bool rloo = std::string(c.method) == "rloo";
    // As the loop does it: each micro-batch's sum, divided by the units of the whole step.
    std::vector<torch::Tensor> sums, refs;
    std::int64_t units = 0;
    for (std::size_t m = 0; m < step.micro_batches.size(); ++m) {
      const auto& mb = step.micro_batches[m];
      const auto batch = batch_of(step, mb);
      const auto p = answer_token_logps(policy, batch, temperature);
      CompletionTokens t{p.logp, old[m], torch::Tensor(), p.owner, std::int64_t(mb.size())};
      {
        torch::NoGradGuard no_grad;
        t.ref_logp = answer_token_logps(reference, batch, temperature).logp;
      }
      refs.push_back(t.ref_logp);
      auto a =
          torch::tensor(std::vector<double>{advantages[mb[0]], advantages[mb[1]]}, torch::kDouble)
              .to(torch::kFloat32);
      sums.push_back(rloo ? rloo_loss(t, a, 0.2, 0.28).sum : grpo_loss(t, a, s).sum);
      units += rloo ? std::int64_t(mb.size())
                    : aggregation_units(s.aggregation, std::int64_t(mb.size()), p.logp.size(0), 8);
    }
    auto loss = torch::stack(sums).sum() / double(units);
    loss.backward();
    EXPECT_NEAR(loss.item<double>(), tensor_from_view(want.tensor("loss")).item<double>(), 1e-5);
    expect_values(torch::cat(refs), values(tensor_from_view(want.tensor("ref"))), 1e-4);
    const double worst = test::expect_gradients_match(*policy, want);
    std::cout << c.method << "/" << c.aggregation << ": loss " << loss.item<double>()
              << ", max |gradient difference| " << worst << "\n";
  }
}

TEST(OnlineLosses, TheLoraReferenceIsTheBaseWithAdaptersDisabled) {
  auto base = test::tiny_causal_lm(7), adapted = test::tiny_causal_lm(7);
  LoraConfig lora;
  lora.r = 2, lora.dropout = 0;
  for (auto& [name, t] : apply_lora(*adapted, lora)) {
    torch::NoGradGuard no_grad;
    t.normal_(0, 0.5);  // B nonzero: the adapted model differs from its base
  }
  const auto step = six_completions();
  const auto batch = batch_of(step, {0, 1, 2, 3, 4, 5});
  torch::NoGradGuard no_grad;
  const auto want = answer_token_logps(base, batch).logp;
  EXPECT_GT((answer_token_logps(adapted, batch).logp - want).abs().max().item<double>(), 1e-3);
  {
    LoraDisabled off(*adapted);
    EXPECT_LT((answer_token_logps(adapted, batch).logp - want).abs().max().item<double>(), 1e-6);
  }
  EXPECT_GT((answer_token_logps(adapted, batch).logp - want).abs().max().item<double>(), 1e-3)
      << "the adapters are back on";
}

}  // namespace
}  // namespace chosei
