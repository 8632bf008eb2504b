// The reward model: the Bradley-Terry loss and the evaluation statistics against
// hand-computed values, pooling at the last real token under left and right padding with
// pad == eos, packed pairs equal to each sequence alone, rewards, loss and every gradient
// against an independent PyTorch program, and LoRA adapters that carry the score head.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "formats/peft_adapter.h"
#include "formats/safetensors_reader.h"
#include "formats/score_model_dir.h"
#include "formats/tensor_io.h"
#include "model/lora.h"
#include "reward/bradley_terry_loss.h"
#include "reward/pair_scores.h"
#include "reward/preference_metrics.h"
#include "reward/reward_modeling_task.h"
#include "tests/unit/random_pairs.h"
#include "tests/unit/test_data.h"
#include "tests/unit/tiny_score_model.h"

namespace chosei {
namespace {

LlamaForSequenceClassification tiny_reward_model(std::uint64_t seed) {
  LlamaForCausalLM lm(test::tiny_score_model_config());
  lm->initialize(seed);
  LlamaForSequenceClassification rm(lm->model, lm->config(), 1, seed + 1);
  torch::NoGradGuard no_grad;
  rm->score->weight.normal_(0, 0.5);  // a trained-looking head, so rewards differ visibly
  return rm;
}

TEST(BradleyTerryLoss, MarginAndCenteringWorkedByHand) {
  auto rc = torch::tensor({1.0f, 0.0f}), rr = torch::tensor({0.0f, 2.0f});
  auto m = torch::tensor({0.0f, 0.5f});
  // -log sigmoid(1) + 0.1 * 1^2 = 0.41326169; -log sigmoid(-2.5) + 0.1 * 2^2 = 2.97888973
  auto l = bradley_terry_loss(rc, rr, m, 0.1);
  EXPECT_NEAR(l.sum.item<double>(), 3.3921514218, 1e-6);
  EXPECT_EQ(l.correct, 1);
  EXPECT_DOUBLE_EQ(l.margin_sum, -1.0);
  EXPECT_NEAR(bradley_terry_loss(rc, rr, torch::zeros({2}), 0).sum.item<double>(),
              0.3132616875 + 2.1269280110, 1e-6);
}

TEST(PreferenceMetrics, WilsonIntervalEceAndLengthBaselinesWorkedByHand) {
  auto [lo, hi] = wilson_interval(8, 10);  // the textbook example: 0.4902 to 0.9433
  EXPECT_NEAR(lo, 0.4902, 1e-4);
  EXPECT_NEAR(hi, 0.9433, 1e-4);
  auto all = wilson_interval(10, 10);
  EXPECT_NEAR(all.first, 0.7225, 1e-4);
  EXPECT_DOUBLE_EQ(all.second, 1.0);
  // Margins ln 3 (p = 0.75, right) and -ln 3 (p = 0.25 for chosen, wrong). In both orders:
  // bin [0.7, 0.8) holds p = 0.75 twice, right once -> |0.5 - 0.75|; bin [0.2, 0.3) holds
  // 0.25 twice, right once -> |0.5 - 0.25|. ECE = 0.5 * 0.25 + 0.5 * 0.25 = 0.25.
  std::vector<CalibrationBin> bins;
  EXPECT_NEAR(expected_calibration_error({std::log(3.0), -std::log(3.0)}, 10, &bins), 0.25, 1e-12);
  EXPECT_EQ(bins[7].count, 2);
  EXPECT_NEAR(bins[7].confidence, 0.75, 1e-12);
  EXPECT_NEAR(bins[7].accuracy, 0.5, 1e-12);
  // Perfectly separated with large margins: calibrated near 0.
  EXPECT_LT(expected_calibration_error({20, 30, 25}, 10), 1e-8);
  EXPECT_DOUBLE_EQ(length_baseline_accuracy({1, 5, 3}, {2, 4, 3}, true), 1.5 / 3);
  EXPECT_DOUBLE_EQ(length_baseline_accuracy({1, 5, 3}, {2, 4, 3}, false), 1.5 / 3);
  EXPECT_DOUBLE_EQ(length_baseline_accuracy({1, 1}, {2, 3}, true), 1.0);
}

TEST(RewardPooling, LastRealTokenUnderLeftAndRightPaddingWithPadEqualToEos) {
  torch::NoGradGuard no_grad;
  auto rm = tiny_reward_model(5);
  rm->eval();
  const std::int64_t eos = 2;
  std::vector<std::int64_t> a = {1, 7, 9, 11, eos}, b = {1, 5, eos};  // both end with eos
  auto rows = [](std::vector<std::int64_t> v) { return torch::tensor(v).view({2, 5}); };
  auto alone = [&](const std::vector<std::int64_t>& s) {
    auto ids = torch::tensor(s).unsqueeze(0);
    return rm->forward_padded(ids, torch::ones_like(ids)).item<double>();
  };
  const double ra = alone(a), rb = alone(b);
  // Padding with eos: a rule that looks for the pad id would stop at a's own final eos or
  // at the first pad; pooling reads the mask instead.
  auto right = rows({1, 7, 9, 11, eos, 1, 5, eos, eos, eos});
  auto right_mask = rows({1, 1, 1, 1, 1, 1, 1, 1, 0, 0});
  auto r = rm->forward_padded(right, right_mask);
  EXPECT_NEAR(r[0].item<double>(), ra, 1e-5);
  EXPECT_NEAR(r[1].item<double>(), rb, 1e-5);
  auto left = rows({1, 7, 9, 11, eos, eos, eos, 1, 5, eos});
  auto left_mask = rows({1, 1, 1, 1, 1, 0, 0, 1, 1, 1});
  auto l = rm->forward_padded(left, left_mask);
  EXPECT_NEAR(l[0].item<double>(), ra, 1e-5);
  EXPECT_NEAR(l[1].item<double>(), rb, 1e-5);
  EXPECT_EQ(last_token_index(left_mask)[1].item<std::int64_t>(), 4);
  EXPECT_EQ(last_token_index(right_mask)[1].item<std::int64_t>(), 2);
  // Packed scoring (several sequences per row, block-diagonal mask) equals each alone.
  PreferenceExample e;
  e.chosen.ids = {1, 7, 9, 11, 2};
  e.rejected.ids = {1, 5, 2};
  ScoringOptions opt;
  opt.capacity = 16;
  auto packed = score_pairs(rm, {e, e}, opt);
  EXPECT_NEAR(packed.chosen[1], ra, 1e-5);
  EXPECT_NEAR(packed.rejected[0], rb, 1e-5);
  EXPECT_NE(ra, rb);
}

// Writes the pairs the way reward_reference.py reads them.
std::string pairs_json(const std::vector<PreferenceExample>& ex, double eta) {
  nlohmann::json j = {{"chosen", nlohmann::json::array()},
                      {"rejected", nlohmann::json::array()},
                      {"margin", nlohmann::json::array()},
                      {"eta", eta}};
  for (const auto& e : ex) {
    j["chosen"].push_back(e.chosen.ids);
    j["rejected"].push_back(e.rejected.ids);
    j["margin"].push_back(e.margin);
  }
  return j.dump();
}

TEST(RewardModelStep, RewardsLossAndEveryGradientMatchPyTorch) {
  const auto python = test::reference_python();
  if (python.empty()) GTEST_SKIP() << "python3 with torch not available";
  auto rm = tiny_reward_model(11);
  const auto dir = test::temp_dir("reward_step_ref");
  LoadedScoreModel saved;
  saved.model = rm;
  save_score_model_dir(dir + "/model", saved);
  auto pairs = test::random_pairs(5, 3);
  const double eta = 0.05;
  { std::ofstream(dir + "/pairs.json") << pairs_json(pairs, eta); }
  std::string out;
  const int rc = test::run_command(
      python + " " + test::source_dir() + "/tests/reference/reward_reference.py pairs " + dir +
          "/model " + dir + "/pairs.json " + dir + "/ref.safetensors 2>&1",
      &out);
  ASSERT_EQ(rc, 0) << out;
  SafetensorsReader ref(dir + "/ref.safetensors");

  // chosei: one packed micro-batch of all pairs through the task the loop trains.
  RewardBatching batching;
  batching.pairs_per_batch = 5;
  batching.max_seq_len = 24;  // several sequences per row
  batching.pad_id = 2;
  batching.center_rewards = eta;
  RewardModelingTask task(rm, pairs, {}, batching);
  task.set_training(true);
  auto batches = task.train_batches(0, 0);
  ASSERT_EQ(batches.size(), 1u);
  rm->zero_grad();
  auto l = task.loss(*batches[0]);
  auto mean = l.sum / static_cast<double>(batches[0]->count);
  mean.backward();
  EXPECT_NEAR(mean.item<double>(), tensor_from_view(ref.tensor("loss")).item<double>(), 1e-5);
  auto scores = score_pairs(rm, pairs, ScoringOptions{});
  auto ref_c = tensor_from_view(ref.tensor("chosen")),
       ref_r = tensor_from_view(ref.tensor("rejected"));
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_NEAR(scores.chosen[i], ref_c[static_cast<long>(i)].item<double>(), 1e-5);
    EXPECT_NEAR(scores.rejected[i], ref_r[static_cast<long>(i)].item<double>(), 1e-5);
  }
  double worst = 0;
  int compared = 0;
  for (auto& p : rm->named_parameters()) {
    auto expected = tensor_from_view(ref.tensor("grad." + p.key()));
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    const double d = (p.value().grad() - expected).abs().max().item<double>();
    worst = std::max(worst, d);
    EXPECT_LT(d, 1e-4) << p.key();
    ++compared;
  }
  EXPECT_EQ(compared, static_cast<int>(ref.tensors().size()) - 3);
  std::cout << "loss " << mean.item<double>() << "; " << compared << " gradients, max |difference| "
            << worst << "\n";
}

TEST(RewardLora, AdapterHoldsTheScoreHeadAndMergeEqualsWPlusScaledBA) {
  CHOSEI_REQUIRE_DATA(base, "derived_hf_llama_stories260K");
  auto m = load_score_model_dir(base, 1, 7);
  ASSERT_TRUE(m.head_initialized);
  LoraConfig lora;
  lora.r = 4, lora.alpha = 8, lora.dropout = 0;
  lora.modules_to_save = {"score"};
  lora.task_type = "SEQ_CLS";
  lora.base_model = base;
  auto trainable = apply_lora(*m.model, lora);
  bool head_trained = false;
  for (const auto& [name, t] : trainable) head_trained = head_trained || name == "score.weight";
  EXPECT_TRUE(head_trained);
  torch::NoGradGuard no_grad;
  for (auto& [name, proj] : adapted_projections(*m.model)) proj->lora_B().normal_(0, 0.05);
  m.model->score->weight.normal_(0, 0.3);
  m.model->eval();
  const auto dir = test::temp_dir("reward_lora");
  save_lora_adapter(dir + "/adapter", *m.model, lora);
  SafetensorsReader adapter(dir + "/adapter/adapter_model.safetensors");
  EXPECT_TRUE(adapter.contains("base_model.model.score.weight"));
  EXPECT_FALSE(adapter.contains("base_model.model.model.layers.0.mlp.up_proj.weight"));

  auto ids = torch::tensor({1, 45, 67, 89, 2, 1, 300, 2, 0, 0}).view({2, 5});
  auto mask = torch::tensor({1, 1, 1, 1, 1, 1, 1, 1, 0, 0}).view({2, 5});
  auto in_memory = m.model->forward_padded(ids, mask);
  auto loaded = load_score_model_with_adapter(base, dir + "/adapter");
  auto unmerged = loaded.model->forward_padded(ids, mask);
  EXPECT_LT((unmerged - in_memory).abs().max().item<double>(), 1e-5);
  auto params = loaded.model->named_parameters();
  const auto q = "model.layers.0.self_attn.q_proj";
  auto* proj = loaded.model->model->layers[0]->as<LlamaDecoderLayerImpl>()->self_attn->q_proj.get();
  auto expected = proj->weight + (8.0 / 4.0) * proj->lora_B().matmul(proj->lora_A());
  merge_lora(*loaded.model);
  EXPECT_LT((params[std::string(q) + ".weight"] - expected).abs().max().item<double>(), 1e-6);
  auto merged = loaded.model->forward_padded(ids, mask);
  EXPECT_LT((merged - unmerged).abs().max().item<double>(), 1e-5);
  save_score_model_dir(dir + "/merged", loaded);
  auto reloaded = load_score_model_dir(dir + "/merged");
  EXPECT_FALSE(reloaded.head_initialized);
  EXPECT_LT((reloaded.model->forward_padded(ids, mask) - unmerged).abs().max().item<double>(),
            1e-5);
}

}  // namespace
}  // namespace chosei
