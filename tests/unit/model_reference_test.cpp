// The forward pass against an independent PyTorch program (tests/reference/llama_reference.py)
// on random llama (GQA, tied), qwen2 (q/k/v bias) and untied configs; KV-cache decoding
// against the full forward.

#include <gtest/gtest.h>

#include "formats/model_dir.h"
#include "formats/safetensors_reader.h"
#include "formats/tensor_io.h"
#include "model/lora.h"
#include "tests/unit/test_data.h"

namespace chosei {
namespace {

ModelConfig small_config(const std::string& type, bool tied, std::int64_t kv_heads) {
  ModelConfig c;
  c.model_type = type;
  c.vocab_size = 97;
  c.hidden_size = 48;
  c.intermediate_size = 80;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 6;
  c.num_key_value_heads = kv_heads;
  c.max_position_embeddings = 64;
  c.rms_norm_eps = 1e-5;
  c.rope.theta = type == "qwen2" ? 1000000.0 : 10000.0;
  c.tie_word_embeddings = tied;
  c.attention_bias = type == "qwen2";
  c.initializer_range = 0.2;  // large enough that attention is far from uniform
  c.eos_token_ids = {1};
  return c;
}

LlamaForCausalLM random_model(const ModelConfig& c, std::uint64_t seed) {
  LlamaForCausalLM model(c);
  model->initialize(seed);
  torch::NoGradGuard no_grad;
  for (auto& p : model->named_parameters()) {
    // Random biases and norm gains, so a loader that drops them is caught.
    if (p.key().find("bias") != std::string::npos) p.value().normal_(0, 0.5);
    if (p.key().find("norm") != std::string::npos) p.value().uniform_(0.5, 1.5);
  }
  return model;
}

const std::vector<std::int64_t> kIds = {3, 17, 42, 5, 96, 0, 23, 23, 64, 8, 11, 77};

struct Case {
  std::string name, type;
  bool tied;
  std::int64_t kv_heads;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class ReferenceLogits : public ::testing::TestWithParam<Case> {};

TEST_P(ReferenceLogits, MatchPyTorchWithin1e4) {
  const auto python = test::reference_python();
  if (python.empty()) GTEST_SKIP() << "python3 with torch not available";
  const auto& p = GetParam();
  auto dir = test::temp_dir("ref_" + p.name);
  LoadedModel m;
  m.model = random_model(small_config(p.type, p.tied, p.kv_heads), 7);
  save_model_dir(dir, m);

  std::string ids_json = "[";
  for (std::size_t i = 0; i < kIds.size(); ++i)
    ids_json += (i ? "," : "") + std::to_string(kIds[i]);
  ids_json += "]";
  std::string out;
  int rc =
      test::run_command(python + " " + test::source_dir() + "/tests/reference/llama_reference.py " +
                            dir + " '" + ids_json + "' " + dir + "/ref_logits.safetensors 2>&1",
                        &out);
  ASSERT_EQ(rc, 0) << out;
  SafetensorsReader reader(dir + "/ref_logits.safetensors");
  auto expected = tensor_from_view(reader.tensor("logits"));

  auto loaded = load_model_dir(dir, /*require_tokenizer=*/false);
  torch::NoGradGuard no_grad;
  auto logits = loaded.model->forward(torch::tensor(kIds).unsqueeze(0)).squeeze(0);
  ASSERT_EQ(logits.sizes(), expected.sizes());
  double max_diff = (logits - expected).abs().max().item<double>();
  std::cout << p.name << ": max |logit difference| vs PyTorch = " << max_diff << "\n";
  EXPECT_LT(max_diff, 1e-4);
  EXPECT_GT(expected.std().item<double>(), 0.1)
      << "degenerate logits would make the comparison weak";
}

INSTANTIATE_TEST_SUITE_P(Configs, ReferenceLogits,
                         ::testing::Values(Case{"llama_gqa_tied", "llama", true, 2},
                                           Case{"qwen2_bias", "qwen2", false, 3},
                                           Case{"llama_untied_mha", "llama", false, 6},
                                           Case{"mistral_gqa", "mistral", true, 1}),
                         [](const auto& info) { return info.param.name; });

TEST(KvCache, IncrementalDecodingMatchesFullForward) {
  auto model = random_model(small_config("qwen2", false, 2), 11);
  torch::NoGradGuard no_grad;
  auto ids = torch::tensor(kIds).unsqueeze(0);
  auto full = model->forward(ids);  // (1, T, V)
  KvCache cache(model->config(), 1, 32);
  ForwardOptions opt;
  opt.cache = &cache;
  auto prefill = model->forward(ids.narrow(1, 0, 5), opt);
  std::vector<torch::Tensor> pieces{prefill};
  for (std::int64_t t = 5; t < ids.size(1); ++t)
    pieces.push_back(model->forward(ids.narrow(1, t, 1), opt));
  auto incremental = torch::cat(pieces, 1);
  double max_diff = (incremental - full).abs().max().item<double>();
  EXPECT_LT(max_diff, 1e-5);
  EXPECT_EQ(cache.length(), ids.size(1));
}

// Two rows decoded through LibTorch at their own positions (row 0 three tokens ahead),
// every key and value written at its row's column, give each row's full-forward logits.
TEST(KvCache, RowsAtTheirOwnPositionsMatchTheFullForward) {
  auto model = random_model(small_config("qwen2", false, 2), 13);
  model->set_engine_decoding(false);
  torch::NoGradGuard no_grad;
  auto ids = torch::tensor(kIds).unsqueeze(0);
  auto full = model->forward(ids)[0];  // (T, V): both rows decode the same sequence
  KvCache cache(model->config(), 2, 32);
  cache.zero();
  std::int64_t at[2] = {0, 0};
  auto step = [&](std::vector<int> rows) {
    const auto R = static_cast<std::int64_t>(rows.size());
    std::vector<std::int64_t> tokens, positions;
    for (int r : rows) tokens.push_back(kIds[at[r]]), positions.push_back(at[r]);
    ForwardOptions opt;
    opt.cache = &cache;
    opt.cache_at_positions = true;
    opt.positions = torch::tensor(positions).view({R, 1});
    const auto columns = *std::max_element(positions.begin(), positions.end()) + 1;
    opt.attention_mask =
        torch::arange(columns).view({1, 1, columns}).le(opt.positions.view({R, 1, 1}));
    auto logits = model->forward(torch::tensor(tokens).view({R, 1}), opt);
    for (std::int64_t i = 0; i < R; ++i) {
      const auto diff = (logits[i][0] - full[at[rows[i]]]).abs().max().item<double>();
      EXPECT_LT(diff, 1e-5) << "row " << rows[i] << " position " << at[rows[i]];
      ++at[rows[i]];
    }
  };
  for (int t = 0; t < 3; ++t) step({0});
  while (at[0] < static_cast<std::int64_t>(kIds.size())) step({0, 1});
  EXPECT_EQ(cache.length(), 0) << "rows keep their own lengths";
  KvCache unzeroed(model->config(), 1, 8);
  auto k = torch::zeros(
      {1, model->config().num_key_value_heads, 1, model->config().effective_head_dim()});
  EXPECT_THROW(unzeroed.store_at_positions(0, k, k, torch::zeros({1, 1}, torch::kLong), 1),
               std::logic_error);
}

TEST(KvCache, RefusesOverflowWithClearError) {
  auto model = random_model(small_config("llama", true, 2), 3);
  torch::NoGradGuard no_grad;
  KvCache cache(model->config(), 1, 4);
  ForwardOptions opt;
  opt.cache = &cache;
  try {
    model->forward(torch::tensor(kIds).unsqueeze(0), opt);
    FAIL() << "expected std::length_error";
  } catch (const std::length_error& e) {
    EXPECT_NE(std::string(e.what()).find("capacity of 4"), std::string::npos) << e.what();
  }
}

TEST(Precision, Bf16ForwardIsCloseToFp32) {
  auto model = random_model(small_config("llama", true, 2), 5);
  torch::NoGradGuard no_grad;
  auto ids = torch::tensor(kIds).unsqueeze(0);
  auto fp32 = model->forward(ids);
  model->set_precision(Precision::kBF16);
  auto bf16 = model->forward(ids);
  EXPECT_EQ(bf16.scalar_type(), torch::kFloat32);
  // bf16 keeps 8 mantissa bits: relative error around 1e-2 per product, accumulated.
  double rel = ((bf16 - fp32).norm() / fp32.norm()).item<double>();
  EXPECT_LT(rel, 0.05);
  EXPECT_GT(rel, 0.0) << "bf16 path must actually compute in bf16";
}

// Loss and gradients of one bf16 training step (bf16 activations between products, softmax
// and logits in fp32) track the fp32 step; with a block-diagonal mask and with LoRA.
double bf16_step_agreement(LlamaForCausalLM& model, const std::vector<torch::Tensor>& params,
                           const ForwardOptions& opt) {
  auto ids = torch::tensor(kIds).unsqueeze(0).repeat({2, 1});
  auto step = [&](Precision p) {
    model->set_precision(p);
    for (auto t : params) t.mutable_grad() = torch::Tensor();
    auto logits = model->forward(ids, opt);
    EXPECT_EQ(logits.scalar_type(), torch::kFloat32);
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}),
                                                     ids.roll(-1, 1).reshape({-1}));
    loss.backward();
    std::vector<torch::Tensor> grads;
    for (const auto& t : params) grads.push_back(t.grad().flatten().clone());
    return std::make_pair(loss.item<double>(), torch::cat(grads));
  };
  auto [loss32, g32] = step(Precision::kFP32);
  auto [loss16, g16] = step(Precision::kBF16);
  EXPECT_NEAR(loss16, loss32, 0.02 * loss32);
  EXPECT_NE(loss16, loss32) << "bf16 path must actually compute in bf16";
  return torch::cosine_similarity(g32, g16, 0).item<double>();
}

TEST(Precision, Bf16TrainingStepTracksFp32) {
  auto model = random_model(small_config("qwen2", false, 2), 6);
  model->train();
  const auto T = static_cast<std::int64_t>(kIds.size());
  // Two documents per row: positions restart and attention stays inside each.
  auto doc = torch::arange(T).lt(T / 2);
  auto same_doc = doc.unsqueeze(0).eq(doc.unsqueeze(1));
  ForwardOptions packed;
  packed.attention_mask = torch::tril(torch::ones({T, T}, torch::kBool))
                              .logical_and(same_doc)
                              .unsqueeze(0)
                              .repeat({2, 1, 1});
  packed.positions = torch::cat({torch::arange(T / 2), torch::arange(T - T / 2)}).repeat({2, 1});
  EXPECT_GT(bf16_step_agreement(model, model->parameters(), packed), 0.99);
  LoraConfig lora;
  lora.dropout = 0;
  lora.target_modules = {"q_proj", "v_proj", "down_proj"};
  std::vector<torch::Tensor> adapters;
  for (auto& [name, t] : apply_lora(*model, lora)) adapters.push_back(t);
  {
    torch::NoGradGuard no_grad;  // B starts at zero; give the adapters something to carry
    for (auto& t : adapters) t.normal_(0, 0.1);
  }
  EXPECT_GT(bf16_step_agreement(model, adapters, {}), 0.99);
}

TEST(Checkpoint, ShardedRoundTripAndBf16Storage) {
  auto model = random_model(small_config("llama", false, 2), 9);
  auto dir = test::temp_dir("sharded");
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& p : model->named_parameters()) tensors.emplace_back(p.key(), p.value());
  write_checkpoint_tensors(dir, tensors, DType::F32, /*max_shard_bytes=*/20000);
  ASSERT_TRUE(std::filesystem::exists(dir + "/model.safetensors.index.json"));
  auto back = read_checkpoint_tensors(dir);
  ASSERT_EQ(back.size(), tensors.size());
  for (const auto& [name, t] : tensors) EXPECT_TRUE(torch::equal(back.at(name), t)) << name;

  auto dir16 = test::temp_dir("bf16");
  write_checkpoint_tensors(dir16, tensors, DType::BF16);
  SafetensorsReader reader(dir16 + "/model.safetensors");
  EXPECT_EQ(reader.tensor("lm_head.weight").dtype, DType::BF16);
  auto bf = read_checkpoint_tensors(dir16);
  for (const auto& [name, t] : tensors)
    EXPECT_TRUE(torch::equal(bf.at(name), t.to(torch::kBFloat16))) << name;
}

}  // namespace
}  // namespace chosei
