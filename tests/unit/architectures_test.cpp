// Every architecture of the registry against transformers itself
// (tests/reference/transformers_architectures.py, in the reference environment): random-
// weight models made and saved by transformers, on sequences longer than their sliding
// windows. chosei's log-probabilities equal transformers' within 1e-4 in fp32 through the full
// forward, KV-cache decoding and the decode engine (bf16 and q8_0 weights within their
// tolerances), greedy continuations are equal, and the training loss and its gradients
// match within 1e-4. The config read and written again keeps its meaning.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "formats/model_dir.h"
#include "formats/safetensors_reader.h"
#include "formats/tensor_io.h"
#include "generate/batch_decoder.h"
#include "model/sequence_classifier.h"
#include "tests/unit/test_data.h"

namespace chosei {
namespace {

const std::vector<std::string> kCases = {"llama",
                                         "llama_rope_llama3",
                                         "llama_rope_linear",
                                         "llama_rope_yarn",
                                         "mistral_window",
                                         "qwen2",
                                         "qwen2_window",
                                         "qwen3",
                                         "gemma3_text",
                                         "smollm3_nope",
                                         "llama_rope_dynamic",
                                         "phi3",
                                         "phi3_longrope"};

std::string reference_models() {
  static const std::string dir = [] {
    const auto script = test::source_dir() + "/tests/reference/transformers_architectures.py";
    std::string log;
    const auto out =
        test::cached_reference_dir(test::reference_env_python() + " " + script, {script}, &log);
    EXPECT_FALSE(out.empty()) << log;
    return out;
  }();
  return dir;
}

struct Reference {
  std::map<std::string, torch::Tensor> tensors;
  const torch::Tensor& operator[](const std::string& name) const { return tensors.at(name); }
};

Reference read_reference(const std::string& dir) {
  SafetensorsReader reader(dir + "/reference.safetensors");
  Reference r;
  for (const auto& view : reader.tensors()) r.tensors[view.name] = tensor_from_view(view);
  return r;
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// Log-probabilities of every position, decoding one token at a time from a cache.
torch::Tensor cached_logprobs(LlamaForCausalLM& model, const torch::Tensor& ids) {
  torch::NoGradGuard no_grad;
  KvCache cache(model->config(), 1, ids.size(1));
  ForwardOptions opt;
  opt.cache = &cache;
  std::vector<torch::Tensor> steps;
  for (std::int64_t t = 0; t < ids.size(1); ++t)
    steps.push_back(model->forward(ids.narrow(1, t, 1), opt));
  return torch::log_softmax(torch::cat(steps, 1), -1);
}

// Mean next-token cross-entropy over ids in training mode (transformers' labels=ids loss),
// its gradients left on the parameters.
double next_token_loss_backward(LlamaForCausalLM& model, const torch::Tensor& ids) {
  model->train();
  auto logits = model->forward(ids);
  auto loss = torch::nn::functional::cross_entropy(
      logits.narrow(1, 0, ids.size(1) - 1).reshape({-1, logits.size(-1)}),
      ids.narrow(1, 1, ids.size(1) - 1).reshape(-1));
  loss.backward();
  return loss.item<double>();
}

class TransformersArchitecture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (test::reference_env_python().empty())
      GTEST_SKIP() << "the reference environment is not installed (scripts/setup)";
    dir_ = reference_models() + "/" + GetParam();
    ref_ = read_reference(dir_);
  }
  std::string dir_;
  Reference ref_;
};

TEST_P(TransformersArchitecture, FullForwardLogProbabilitiesWithin1e4) {
  auto m = load_model_dir(dir_, /*require_tokenizer=*/false);
  torch::NoGradGuard no_grad;
  auto logprobs = torch::log_softmax(m.model->forward(ref_["ids"]), -1);
  const double diff = max_difference(logprobs, ref_["logprobs"]);
  std::cout << GetParam() << ": full forward max |dlogp| = " << diff << "\n";
  EXPECT_LT(diff, 1e-4);
  EXPECT_GT(std::get<0>(ref_["logprobs"].exp().max(-1)).mean().item<double>(), 0.1)
      << "near-uniform predictions would make the comparison weak";
}

// Against transformers' own cached decoding, one token at a time: where RoPE depends on the
// length (dynamic, longrope) its cached keys keep the frequencies they were rotated with, so
// that differs from the full forward; elsewhere the two agree.
TEST_P(TransformersArchitecture, KvCacheAndDecodeEngineMatchTransformers) {
  auto m = load_model_dir(dir_, /*require_tokenizer=*/false);
  const auto& want = ref_["stepwise"];
  m.model->set_engine_decoding(false);
  const double libtorch = max_difference(cached_logprobs(m.model, ref_["ids"]), want);
  m.model->set_engine_decoding(true);
  const double engine = max_difference(cached_logprobs(m.model, ref_["ids"]), want);
  std::cout << GetParam() << ": KV cache " << libtorch << ", decode engine f32 " << engine << "\n";
  EXPECT_LT(libtorch, 1e-4);
  EXPECT_LT(engine, 1e-4);
  // bf16 and q8_0 weights round every weight (bf16: 8 significant bits; q8_0: 1/254 of each
  // block's largest weight). On these small random models, whose logits are large, the
  // stated tolerances: mean |dlogp| below 0.03 (bf16) and 0.1 (q8_0), the same top-1 token
  // at 95% (bf16) and 85% (q8_0) of positions.
  for (auto [type, tolerance] : {std::pair{WeightType::kBF16, 0.03}, {WeightType::kQ8_0, 0.1}}) {
    auto q = load_model_dir(dir_, false);
    q.model->decode_with(type);
    const auto got = cached_logprobs(q.model, ref_["ids"]);
    const double mean = (got - want).abs().mean().item<double>();
    const double top1 =
        got.argmax(-1).eq(want.argmax(-1)).to(torch::kFloat64).mean().item<double>();
    std::cout << GetParam() << ": decode engine " << weight_type_name(type) << " mean |dlogp| "
              << mean << ", max " << max_difference(got, want) << ", top-1 agreement " << top1
              << "\n";
    EXPECT_LT(mean, tolerance) << weight_type_name(type);
    EXPECT_GE(top1, type == WeightType::kBF16 ? 0.95 : 0.85) << weight_type_name(type);
  }
}

// transformers' generate() against chosei's decoder (generate/batch_decoder.h), on the
// decode engine and through LibTorch. Phi-3's LongRoPE continuation crosses the original
// context, where chosei recomputes the cache with the long factors: every step then equals
// transformers' full forward over the sequence so far (its uncached generation; its cached
// one drops the cache there and runs the last token alone, see the reference script).
TEST_P(TransformersArchitecture, GreedyContinuationEqualsTransformers) {
  const auto& expected = ref_["greedy"];
  const std::int64_t prompt = 12, steps = expected.size(1) - prompt;
  auto want = expected.narrow(1, prompt, steps).reshape(-1);
  const std::vector<std::int64_t> wanted(want.data_ptr<std::int64_t>(),
                                         want.data_ptr<std::int64_t>() + steps);
  for (const bool engine : {true, false}) {
    auto m = load_model_dir(dir_, /*require_tokenizer=*/false);
    m.model->set_engine_decoding(engine);
    BatchDecoder decoder(m.model, 1, expected.size(1) + 1);
    const auto* ids = expected.data_ptr<std::int64_t>();
    auto logits = decoder.add(std::vector<TokenId>(ids, ids + prompt));
    std::vector<std::int64_t> got;
    for (std::int64_t s = 0; s < steps; ++s) {
      const auto next = logits.reshape(-1).argmax().item<std::int64_t>();
      got.push_back(next);
      logits = decoder.step({static_cast<TokenId>(next)});
    }
    EXPECT_EQ(got, wanted) << (engine ? "decode engine" : "LibTorch");
  }
}

TEST_P(TransformersArchitecture, TrainingLossAndGradientsWithin1e4) {
  auto m = load_model_dir(dir_, /*require_tokenizer=*/false);
  const auto loss = next_token_loss_backward(m.model, ref_["ids"]);
  EXPECT_NEAR(loss, ref_["loss"].item<double>(), 1e-4);
  auto params = m.model->named_parameters();
  int checked = 0;
  for (const auto& [name, grad] : ref_.tensors) {
    if (name.rfind("grad.", 0) != 0) continue;
    const auto* p = params.find(name.substr(5));
    ASSERT_NE(p, nullptr) << name;
    EXPECT_LT(max_difference(p->grad(), grad), 1e-4) << name;
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

// A PEFT LoRA adapter on every projection, saved by peft itself: chosei's loss and the
// adapter's gradients equal PEFT's.
TEST_P(TransformersArchitecture, LoraLossAndGradientsMatchPeftWithin1e4) {
  auto m = load_model_with_adapter(dir_, dir_ + "/adapter", /*require_tokenizer=*/false);
  SafetensorsReader reader(dir_ + "/adapter/reference.safetensors");
  for (auto& p : m.model->named_parameters())  // loaded for inference: train the adapter
    p.value().set_requires_grad(p.key().find("lora_") != std::string::npos);
  const auto loss = next_token_loss_backward(m.model, ref_["ids"]);
  EXPECT_NEAR(loss, tensor_from_view(reader.tensor("lora_loss")).item<double>(), 1e-4);
  auto params = m.model->named_parameters();
  int checked = 0;
  for (const auto& view : reader.tensors()) {
    if (view.name.rfind("lora_grad.", 0) != 0) continue;
    const auto* p = params.find(view.name.substr(10));
    ASSERT_NE(p, nullptr) << view.name;
    ASSERT_TRUE(p->grad().defined()) << view.name;
    EXPECT_LT(max_difference(p->grad(), tensor_from_view(view)), 1e-4) << view.name;
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

// The family's sequence-classification class (reward models, classifiers) as transformers
// makes and saves it: chosei reads it (its registry class name) and scores the last token
// as transformers does.
TEST_P(TransformersArchitecture, ScoreHeadMatchesTransformersSequenceClassification) {
  const auto dir = dir_ + "/score";
  auto config = load_model_config(dir + "/config.json");
  const auto j = nlohmann::json::parse(read_file(dir + "/config.json"));
  EXPECT_EQ(j["architectures"][0], config.architecture().classifier_class);
  LlamaForSequenceClassification model(config, 3);
  load_parameters(*model, read_checkpoint_tensors(dir), dir);
  model->eval();
  torch::NoGradGuard no_grad;
  const auto& ids = ref_["ids"];
  auto hidden = model->hidden_states(ids);
  auto scores =
      model->score_at(hidden, torch::zeros({1}, torch::kLong), torch::tensor({ids.size(1) - 1}));
  SafetensorsReader reader(dir + "/reference.safetensors");
  const auto want = tensor_from_view(reader.tensor("scores"));
  const double diff = max_difference(scores, want);
  std::cout << GetParam() << ": score head max |d| = " << diff << "\n";
  EXPECT_LT(diff, 1e-4);
  EXPECT_GT(want.abs().max().item<double>(), 0.1) << "scores near zero would make it weak";
}

// The directory chosei writes (config.json the current way, model.safetensors) is the same
// model to transformers: its log-probabilities equal the reference's.
TEST_P(TransformersArchitecture, WrittenDirectoryIsTheSameModelToTransformers) {
  auto m = load_model_dir(dir_, /*require_tokenizer=*/false);
  const auto out = test::temp_dir("written_" + GetParam());
  save_model_dir(out, m);
  std::string log;
  const int rc = test::run_command(test::reference_env_python() + " " + test::source_dir() +
                                       "/tests/reference/transformers_reads_back.py " + out + " " +
                                       dir_ + "/reference.safetensors 2>&1",
                                   &log);
  std::cout << GetParam() << ": " << log;
  EXPECT_EQ(rc, 0) << log;
}

TEST_P(TransformersArchitecture, ConfigWrittenAgainReadsTheSame) {
  auto m = load_model_dir(dir_, /*require_tokenizer=*/false);
  const auto& c = m.model->config();
  const auto again = parse_model_config(model_config_to_json(c), "written");
  EXPECT_EQ(again.rope, c.rope);
  EXPECT_EQ(again.rope_local, c.rope_local);
  EXPECT_EQ(again.sliding_window, c.sliding_window);
  for (std::int64_t l = 0; l < c.num_hidden_layers; ++l)
    EXPECT_EQ(again.layer_is_sliding(l), c.layer_is_sliding(l)) << "layer " << l;
  EXPECT_EQ(again.attention_scale(), c.attention_scale());
  EXPECT_EQ(again.final_logit_softcapping, c.final_logit_softcapping);
  EXPECT_EQ(again.attention_bias, c.attention_bias);
  const auto j = nlohmann::json::parse(model_config_to_json(c));
  EXPECT_TRUE(j.contains("rope_parameters"));
  EXPECT_FALSE(j.contains("rope_theta"));
  EXPECT_FALSE(j.contains("rope_scaling"));
}

INSTANTIATE_TEST_SUITE_P(Registry, TransformersArchitecture, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return info.param; });

// Old spellings read as the current ones; what would change the math is refused by name.
TEST(ArchitectureConfig, OldSpellingsReadAndUnsupportedFieldsRefused) {
  auto parse = [](const std::string& extra) {
    return parse_model_config(R"({"model_type":"llama","hidden_size":64,"num_attention_heads":4,)"
                              R"("num_hidden_layers":2,"intermediate_size":96,"vocab_size":50)" +
                                  extra + "}",
                              "config.json");
  };
  auto old = parse(R"(,"rope_theta":500000.0,"rope_scaling":{"type":"llama3","factor":8.0,)"
                   R"("low_freq_factor":1.0,"high_freq_factor":4.0,)"
                   R"("original_max_position_embeddings":8192})");
  EXPECT_EQ(old.rope.type, "llama3");
  EXPECT_EQ(old.rope.theta, 500000.0);
  EXPECT_EQ(old.rope.factor, 8.0);
  auto message = [&](const std::string& extra) {
    try {
      parse(extra);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message(R"(,"rope_scaling":{"rope_type":"longrope","factor":2.0})")
                .find("rope_scaling.original_max_position_embeddings"),
            std::string::npos);
  EXPECT_NE(message(R"(,"attention_dropout":0.1)").find("attention_dropout"), std::string::npos);
  EXPECT_NE(message(R"(,"rope_scaling":{"rope_type":"linear","factor":2.0,"beta_fast":3})")
                .find("rope_scaling.beta_fast"),
            std::string::npos);
  EXPECT_NE(message(R"(,"hidden_act":"gelu")").find("hidden_act"), std::string::npos);
  EXPECT_NE(message(R"(,"mlp_bias":true)").find("mlp_bias"), std::string::npos);
  try {
    parse_model_config(R"({"model_type":"phi4_multimodal"})", "c.json");
    ADD_FAILURE() << "phi4_multimodal accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"model_type\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("gemma3_text"), std::string::npos) << e.what();
  }
}

// Phi-3-mini-128k-instruct's config.json as it ships (rope_scaling type "su" beside a
// top-level original_max_position_embeddings), and Phi-4-mini's partial rotary: read as
// transformers reads them.
TEST(ArchitectureConfig, PhiConfigsAsTheyShip) {
  std::string shorts, longs;
  for (int i = 0; i < 48; ++i) {
    shorts += (i ? "," : "") + std::to_string(1.0 + 0.01 * i);
    longs += (i ? "," : "") + std::to_string(1.0 + 0.5 * i);
  }
  const auto phi3 = parse_model_config(
      R"({"model_type":"phi3","hidden_size":3072,"num_attention_heads":32,"num_hidden_layers":32,)"
      R"("intermediate_size":8192,"vocab_size":32064,"max_position_embeddings":131072,)"
      R"("original_max_position_embeddings":4096,"rope_theta":10000.0,"sliding_window":262144,)"
      R"("resid_pdrop":0.0,"embd_pdrop":0.0,"attention_dropout":0.0,)"
      R"("rope_scaling":{"type":"su","short_factor":[)" +
          shorts + R"(],"long_factor":[)" + longs + "]}}",
      "config.json");
  EXPECT_EQ(phi3.rope.type, "longrope");
  EXPECT_EQ(phi3.rope.original_max_position_embeddings, 4096);
  EXPECT_DOUBLE_EQ(phi3.rope.factor, 32.0);
  EXPECT_DOUBLE_EQ(phi3.rope.attention_factor, std::sqrt(1 + std::log(32.0) / std::log(4096.0)));
  EXPECT_EQ(phi3.rope.long_factor.size(), 48u);
  EXPECT_EQ(phi3.sliding_window, 262144);
  const auto again = parse_model_config(model_config_to_json(phi3), "written");
  EXPECT_EQ(again.rope, phi3.rope);
  const auto phi4 = parse_model_config(
      R"({"model_type":"phi3","hidden_size":3072,"num_attention_heads":24,"num_key_value_heads":8,)"
      R"("num_hidden_layers":32,"intermediate_size":8192,"vocab_size":200064,)"
      R"("partial_rotary_factor":0.75,"rope_theta":10000.0,"tie_word_embeddings":true})",
      "config.json");
  EXPECT_EQ(phi4.rope.rotary_dim(phi4.effective_head_dim()), 96);
  try {
    parse_model_config(R"({"model_type":"phi3","hidden_size":64,"num_attention_heads":4,)"
                       R"("partial_rotary_factor":0.35})",
                       "c.json");
    ADD_FAILURE() << "an odd rotary width accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("partial_rotary_factor"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace chosei
