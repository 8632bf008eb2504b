// A LoRA run's frozen base held in half precision (lora.base_dtype): the weights take half the
// bytes, and training, evaluation and decoding compute exactly what the same model computes
// with those weights widened to fp32. Also the streamed checkpoint loader and the type it
// reports, which decides lora.base_dtype=auto and save_dtype=auto.

#include <gtest/gtest.h>

#include <filesystem>

#include "datasets/packed_batch.h"
#include "formats/model_dir.h"
#include "formats/tensor_io.h"
#include "generate/batch_decoder.h"
#include "model/frozen_linear.h"
#include "model/lora.h"
#include "tests/unit/test_data.h"
#include "train/causal_lm_loss.h"

namespace chosei {
namespace {

ModelConfig tiny_config(const std::string& type, bool tied) {
  ModelConfig c;
  c.model_type = type;  // qwen2: q/k/v biases
  c.vocab_size = 64;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.max_position_embeddings = 128;
  c.rms_norm_eps = 1e-5;
  c.tie_word_embeddings = tied;
  c.initializer_range = 0.1;
  return c;
}

// A random model whose weights are bf16 values (as a bf16 checkpoint's are), in fp32, with
// trained-looking LoRA adapters on q, v and down.
LlamaForCausalLM adapted_model(const ModelConfig& config) {
  LlamaForCausalLM model(config);
  model->initialize(3);
  torch::NoGradGuard no_grad;
  for (auto& p : model->parameters()) {
    if (p.dim() == 1) p.normal_(0.0, 0.5);  // biases and norms: not zero, not one
    p.copy_(p.to(torch::kBFloat16).to(torch::kFloat32));
  }
  LoraConfig lora;
  lora.r = 4, lora.dropout = 0, lora.target_modules = {"q_proj", "v_proj", "down_proj"};
  torch::manual_seed(11);
  for (auto& [name, p] : apply_lora(*model, lora)) p.normal_(0.0, 0.1);
  return model;
}

struct StepResult {
  torch::Tensor loss;
  std::vector<torch::Tensor> grads;
};

StepResult training_step(LlamaForCausalLM& model, const torch::Tensor& ids) {
  model->train();
  model->model->set_activation_checkpointing(true);
  auto targets = ids.roll(-1, 1);
  auto loss = chunked_causal_lm_loss(*model, model->hidden_states(ids, {}), targets, 5);
  loss.sum.backward();
  StepResult r{loss.sum.detach(), {}};
  for (auto& p : model->parameters())
    if (p.requires_grad()) r.grads.push_back(p.grad().clone());
  return r;
}

std::vector<TokenId> greedy(LlamaForCausalLM& model, const std::vector<TokenId>& prompt,
                            int steps) {
  model->eval();
  BatchDecoder batch(model, 1, static_cast<std::int64_t>(prompt.size()) + steps + 1);
  std::vector<TokenId> out{static_cast<TokenId>(batch.add(prompt).argmax().item<std::int64_t>())};
  while (static_cast<int>(out.size()) < steps)
    out.push_back(batch.step({out.back()})[0].argmax().item<std::int64_t>());
  return out;
}

std::int64_t frozen_bytes(torch::nn::Module& model) {
  std::int64_t bytes = 0;
  for (auto& p : model.parameters())
    if (!p.requires_grad()) bytes += p.numel() * static_cast<std::int64_t>(p.element_size());
  return bytes;
}

class FrozenBase : public ::testing::TestWithParam<std::pair<std::string, bool>> {};

TEST_P(FrozenBase, HalfHeldBaseTrainsAndDecodesAsItsWidenedCopy) {
  const auto config = tiny_config(GetParam().first, GetParam().second);
  auto wide = adapted_model(config), held = adapted_model(config);
  const auto wide_bytes = frozen_bytes(*held);
  hold_frozen_base(*held, torch::kBFloat16);
  // Every frozen projection and the embedding table in bf16; norms and adapters in fp32.
  for (auto& p : held->named_parameters()) {
    const bool norm = p.key().find("norm") != std::string::npos;
    const auto want = p.value().requires_grad() || norm ? torch::kFloat32 : torch::kBFloat16;
    EXPECT_EQ(p.value().scalar_type(), want) << p.key();
  }
  EXPECT_LT(frozen_bytes(*held), wide_bytes * 0.55);

  const auto ids = torch::randint(1, 64, {2, 11}, torch::kLong);
  const auto a = training_step(wide, ids), b = training_step(held, ids);
  EXPECT_TRUE(torch::allclose(a.loss, b.loss, 1e-6, 1e-6)) << a.loss << " " << b.loss;
  ASSERT_EQ(a.grads.size(), b.grads.size());
  ASSERT_GE(a.grads.size(), 12u);
  // Equal up to float summation order (a fused gate|up product against one per part).
  for (std::size_t i = 0; i < a.grads.size(); ++i) {
    const double scale = a.grads[i].abs().max().item<double>();
    EXPECT_LE((a.grads[i] - b.grads[i]).abs().max().item<double>(), 1e-6 * scale)
        << "gradient " << i;
  }

  {  // Evaluation (the fused inference paths) and decoding on the engine.
    torch::NoGradGuard no_grad;
    wide->eval(), held->eval();
    EXPECT_TRUE(torch::allclose(wide->forward(ids), held->forward(ids), 1e-5, 1e-6));
  }
  EXPECT_EQ(greedy(held, {3, 17, 40, 9}, 12), greedy(wide, {3, 17, 40, 9}, 12));

  merge_lora(*wide), merge_lora(*held);  // merged in fp32 whatever the base was held in
  for (auto& p : held->named_parameters()) {
    const bool adapted = p.key().find("q_proj") != std::string::npos ||
                         p.key().find("down_proj") != std::string::npos;
    if (adapted) {
      EXPECT_EQ(p.value().scalar_type(), torch::kFloat32) << p.key();
    }
  }
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(wide->forward(ids), held->forward(ids), 1e-5, 1e-6));
}

INSTANTIATE_TEST_SUITE_P(Families, FrozenBase,
                         ::testing::Values(std::make_pair(std::string("llama"), true),
                                           std::make_pair(std::string("qwen2"), false)));

TEST(FrozenLinear, SavesNeitherInputNorWidenedWeightAndRefusesATrainedWeight) {
  auto w = torch::randn({6, 5}).to(torch::kBFloat16), b = torch::randn({6}).to(torch::kBFloat16);
  auto x = torch::randn({3, 5}, torch::requires_grad());
  auto y = frozen_linear(x, w, b);
  auto expected_x = x.detach().clone().requires_grad_(true);
  auto expected =
      torch::nn::functional::linear(expected_x, w.to(torch::kFloat32), b.to(torch::kFloat32));
  EXPECT_TRUE(torch::allclose(y, expected));
  const auto g = torch::randn({3, 6});
  y.backward(g), expected.backward(g);
  EXPECT_TRUE(torch::allclose(x.grad(), expected_x.grad()));
  auto trained = torch::randn({6, 5}, torch::requires_grad());
  EXPECT_THROW(frozen_linear(x, trained.to(torch::kBFloat16), {}), std::logic_error);
}

TEST(CheckpointLoading, StreamsEachTensorAndReportsTheStoredType) {
  namespace fs = std::filesystem;
  const auto dir = test::temp_dir("streamed_load");
  LoadedModel m;
  m.model = LlamaForCausalLM(tiny_config("llama", false));
  m.model->initialize(5);
  for (auto dtype : {DType::F32, DType::BF16, DType::F16}) {
    const auto out = (fs::path(dir) / dtype_name(dtype)).string();
    save_model_dir(out, m, dtype);
    LlamaForCausalLM loaded(tiny_config("llama", false));
    EXPECT_EQ(load_checkpoint_parameters(*loaded, out), dtype);
    auto mine = m.model->named_parameters();
    for (auto& p : loaded->named_parameters()) {
      const auto expected = mine[p.key()].to(to_scalar_type(dtype)).to(torch::kFloat32);
      EXPECT_TRUE(torch::equal(p.value(), expected)) << p.key() << " " << dtype_name(dtype);
    }
  }
  {  // A LoRA run's base read straight into bf16: adapters fp32, a step as on the widened model.
    auto held = load_model_dir((fs::path(dir) / "BF16").string(), false, torch::kBFloat16);
    auto wide = load_model_dir((fs::path(dir) / "BF16").string(), false);
    EXPECT_EQ(held.stored_dtype, DType::BF16);
    LoraConfig lora;
    lora.r = 2, lora.dropout = 0, lora.target_modules = {"q_proj", "gate_proj"};
    lora.modules_to_save = {"lm_head"};  // trained whole: widened again
    torch::manual_seed(4);
    auto held_params = apply_lora(*held.model, lora);
    torch::manual_seed(4);
    auto wide_params = apply_lora(*wide.model, lora);
    for (auto& [name, p] : held_params) EXPECT_EQ(p.scalar_type(), torch::kFloat32) << name;
    auto* layer = (*held.model->model->layers)[0]->as<LlamaDecoderLayerImpl>();
    EXPECT_EQ(layer->self_attn->k_proj->weight.scalar_type(), torch::kBFloat16);
    const auto ids = torch::randint(1, 64, {1, 9}, torch::kLong);
    const auto a = training_step(wide.model, ids), b = training_step(held.model, ids);
    EXPECT_NEAR(a.loss.item<double>(), b.loss.item<double>(), 1e-5);
    ASSERT_EQ(a.grads.size(), b.grads.size());
    for (std::size_t i = 0; i < a.grads.size(); ++i)
      EXPECT_LE((a.grads[i] - b.grads[i]).abs().max().item<double>(),
                1e-6 * a.grads[i].abs().max().item<double>() + 1e-9);
  }
  // The checks of load_parameters: a missing tensor and an extra one are named.
  LlamaForCausalLM tied(tiny_config("llama", true));
  try {
    load_checkpoint_parameters(*tied, (fs::path(dir) / "F32").string());
    FAIL() << "an untied checkpoint loaded into a tied model";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("unexpected tensor \"lm_head.weight\""), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace chosei
