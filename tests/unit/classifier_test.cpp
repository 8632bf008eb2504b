// The sequence classifier: its losses and metrics against hand-computed values, and the
// logits, loss and every gradient of a training step against an independent PyTorch
// program for both problem types.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "classifier/classification_loss.h"
#include "classifier/classification_metrics.h"
#include "classifier/classification_task.h"
#include "formats/safetensors_reader.h"
#include "formats/score_model_dir.h"
#include "formats/tensor_io.h"
#include "tests/unit/test_data.h"
#include "tests/unit/tiny_score_model.h"

namespace chosei {
namespace {

TEST(ClassificationLoss, BinaryAndSoftmaxCrossEntropyWorkedByHand) {
  // z = 0, y = 1: log 2 = 0.6931472; z = 2, y = 0: 2 + log(1 + e^-2) = 2.1269280.
  auto multi = classification_loss(torch::tensor({{0.0f, 2.0f}}), torch::tensor({{1.0f, 0.0f}}),
                                   ClassificationProblem::kMultiLabel);
  EXPECT_NEAR(multi.sum.item<double>(), 0.6931472 + 2.1269280, 1e-6);
  EXPECT_EQ(multi.correct, 0);  // 0 is not > 0: the first label is missed
  // -log softmax([1, 2, 3])[0] = log(e + e^2 + e^3) - 1 = 2.4076059.
  auto single = classification_loss(torch::tensor({{1.0f, 2.0f, 3.0f}, {0.0f, 5.0f, 0.0f}}),
                                    torch::tensor({0L, 1L}), ClassificationProblem::kSingleLabel);
  EXPECT_NEAR(single.sum.item<double>(), 2.4076059 + (std::log(2 + std::exp(5.0)) - 5), 1e-5);
  EXPECT_EQ(single.correct, 1);
  // Large logits stay finite (the stable form).
  auto big = classification_loss(torch::tensor({{100.0f, -100.0f}}), torch::tensor({{0.0f, 1.0f}}),
                                 ClassificationProblem::kMultiLabel);
  EXPECT_NEAR(big.sum.item<double>(), 200.0, 1e-3);
}

TEST(ClassificationMetrics, AurocThresholdAndF1WorkedByHand) {
  // Positives 0.35, 0.8; negatives 0.1, 0.4: pairs (0.35 > 0.1), (0.35 < 0.4), (0.8 > both):
  // 3 of 4 ordered right.
  EXPECT_DOUBLE_EQ(auroc({0.1, 0.4, 0.35, 0.8}, {false, false, true, true}), 0.75);
  EXPECT_DOUBLE_EQ(auroc({0.5, 0.5}, {false, true}), 0.5);  // a tie counts half
  // Negatives 0.9, 0.5, 0.3, 0.1: a 25% FPR allows one above, so the threshold sits just
  // above 0.5; 0% just above 0.9.
  const double t = threshold_for_fpr({0.1, 0.5, 0.9, 0.3}, 0.25);
  EXPECT_DOUBLE_EQ(t, 0.5 + kThresholdMargin);
  EXPECT_GT(threshold_for_fpr({0.1, 0.5, 0.9, 0.3}, 0.0), 0.9);
  // At 0.5: TP 0.8, FP none (0.4 < 0.5), FN 0.35 -> P 1, R 0.5, F1 2/3.
  auto m = category_metrics("x", {0.1, 0.4, 0.35, 0.8}, {false, false, true, true}, 0.5);
  EXPECT_DOUBLE_EQ(m.precision, 1.0);
  EXPECT_DOUBLE_EQ(m.recall, 0.5);
  EXPECT_NEAR(m.f1, 2.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(m.false_positive_rate, 0.0);
}

std::vector<ClassificationExample> random_texts(int n, std::int64_t labels, bool single,
                                                std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<ClassificationExample> out;
  for (int i = 0; i < n; ++i) {
    ClassificationExample e;
    for (std::size_t k = 0, len = 2 + rng() % 9; k < len; ++k) e.ids.ids.push_back(3 + rng() % 37);
    e.ids.ids.push_back(2);
    e.ids.prompt_tokens = e.ids.ids.size();
    if (single) {
      const auto c = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(labels + 1)) - 1;
      if (c >= 0) e.labels.push_back(c);
    } else {
      for (std::int64_t c = 0; c < labels; ++c)
        if (rng() % 2) e.labels.push_back(c);
    }
    e.record = static_cast<std::size_t>(i);
    out.push_back(std::move(e));
  }
  return out;
}

void expect_step_matches_pytorch(ClassificationProblem problem) {
  const auto python = test::reference_python();
  if (python.empty()) GTEST_SKIP() << "python3 with torch not available";
  const bool single = problem == ClassificationProblem::kSingleLabel;
  const std::int64_t categories = 3, heads = single ? categories + 1 : categories;
  LlamaForCausalLM lm(test::tiny_score_model_config());
  lm->initialize(21);
  LlamaForSequenceClassification model(lm->model, lm->config(), heads, 22);
  {
    torch::NoGradGuard no_grad;
    model->score->weight.normal_(0, 0.5);
  }
  const auto dir = test::temp_dir(single ? "classifier_ref_single" : "classifier_ref_multi");
  LoadedScoreModel saved;
  saved.model = model;
  save_score_model_dir(dir + "/model", saved);
  auto texts = random_texts(6, categories, single, 5);
  std::vector<const ClassificationExample*> all;
  for (const auto& t : texts) all.push_back(&t);
  auto targets = classification_targets(all, heads, problem);
  nlohmann::json j = {{"ids", nlohmann::json::array()},
                      {"problem", single ? "single_label" : "multi_label"}};
  for (const auto& t : texts) j["ids"].push_back(t.ids.ids);
  if (single) {
    j["targets"] = std::vector<std::int64_t>(targets.data_ptr<std::int64_t>(),
                                             targets.data_ptr<std::int64_t>() + targets.numel());
  } else {
    j["targets"] = nlohmann::json::array();
    for (std::int64_t i = 0; i < targets.size(0); ++i)
      j["targets"].push_back(
          std::vector<float>(targets[i].data_ptr<float>(), targets[i].data_ptr<float>() + heads));
  }
  { std::ofstream(dir + "/texts.json") << j.dump(); }
  std::string out;
  const int rc = test::run_command(
      python + " " + test::source_dir() + "/tests/reference/classifier_reference.py " + dir +
          "/model " + dir + "/texts.json " + dir + "/ref.safetensors 2>&1",
      &out);
  ASSERT_EQ(rc, 0) << out;
  SafetensorsReader ref(dir + "/ref.safetensors");

  // chosei: one packed micro-batch of every text through the task the loop trains.
  ClassificationBatching batching;
  batching.texts_per_batch = 6;
  batching.max_seq_len = 24;  // several texts per row
  batching.pad_id = 2;
  ClassificationTask task(model, texts, {}, batching, problem);
  task.set_training(true);
  auto batches = task.train_batches(0, 0);
  ASSERT_EQ(batches.size(), 1u);
  model->zero_grad();
  auto l = task.loss(*batches[0]);
  auto mean = l.sum / static_cast<double>(batches[0]->count);
  mean.backward();
  EXPECT_NEAR(mean.item<double>(), tensor_from_view(ref.tensor("loss")).item<double>(), 1e-5);
  std::vector<PromptAnswerIds> ids;
  for (const auto& t : texts) ids.push_back(t.ids);
  auto probs = classify_examples(model, ids, problem, batching);
  auto ref_p = classification_probabilities(tensor_from_view(ref.tensor("logits")), problem);
  for (std::size_t i = 0; i < texts.size(); ++i)
    for (std::int64_t c = 0; c < heads; ++c)
      EXPECT_NEAR(probs[i][static_cast<std::size_t>(c)],
                  ref_p[static_cast<long>(i)][c].item<double>(), 1e-5);
  double worst = 0;
  int compared = 0;
  for (auto& p : model->named_parameters()) {
    auto expected = tensor_from_view(ref.tensor("grad." + p.key()));
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    const double d = (p.value().grad() - expected).abs().max().item<double>();
    worst = std::max(worst, d);
    EXPECT_LT(d, 1e-4) << p.key();
    ++compared;
  }
  EXPECT_EQ(compared, static_cast<int>(ref.tensors().size()) - 2);
  std::cout << to_string(problem) << " loss " << mean.item<double>() << "; " << compared
            << " gradients, max |difference| " << worst << "\n";
}

TEST(ClassifierStep, MultiLabelLogitsLossAndEveryGradientMatchPyTorch) {
  expect_step_matches_pytorch(ClassificationProblem::kMultiLabel);
}

TEST(ClassifierStep, SingleLabelLogitsLossAndEveryGradientMatchPyTorch) {
  expect_step_matches_pytorch(ClassificationProblem::kSingleLabel);
}

}  // namespace
}  // namespace chosei
