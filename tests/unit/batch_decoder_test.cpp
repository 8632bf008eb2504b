// Continuous batching against single-sequence decoding: rows that join (alone or several
// at once) and leave at different steps produce exactly the greedy tokens each prompt
// gives alone, on the decode engine and through LibTorch (the path a GPU model takes,
// every row's keys stored at its own columns), the alone runs on the engine.

#include <gtest/gtest.h>

#include "formats/model_dir.h"
#include "generate/batch_decoder.h"
#include "generate/generation.h"
#include "model/compute_device.h"
#include "tests/unit/test_data.h"

namespace chosei {
namespace {

TokenId greedy_token(const torch::Tensor& logits) { return logits.argmax().item<std::int64_t>(); }

void expect_batched_equals_alone(bool engine_decoding) {
  CHOSEI_REQUIRE_DATA(dir, "derived_hf_llama_stories260K");
  auto m = load_model_dir(dir);
  const std::vector<std::vector<TokenId>> prompts = {
      {1, 403, 407, 261}, {1, 71, 40}, {1, 500, 261, 339, 370, 261, 416, 258, 443}, {1, 13}};
  const std::int64_t steps = 24;
  std::vector<std::vector<TokenId>> alone;
  for (const auto& p : prompts) {
    GenerateOptions opt;
    opt.max_new_tokens = steps;
    opt.sampling.temperature = 0;
    alone.push_back(generate(m.model, *m.tokenizer.tokenizer, p, opt).ids);
    ASSERT_EQ(alone.back().size(), static_cast<std::size_t>(steps)) << "no EOS expected";
  }
  m.model->set_engine_decoding(engine_decoding);
  ASSERT_EQ(m.model->decodes_on_engine(), engine_decoding);
  BatchDecoder batch(m.model, 3, 48);
  std::vector<int> row_prompt;  // which prompt each row decodes
  std::vector<std::vector<TokenId>> got(prompts.size());
  std::vector<TokenId> next;
  auto join = [&](int p) {
    next.push_back(greedy_token(batch.add(prompts[p])));
    row_prompt.push_back(p);
    got[p].push_back(next.back());
  };
  join(0);
  for (int t = 0; t < 60 && !row_prompt.empty(); ++t) {
    if (t == 3) {  // two requests joining in the same step share one prefill pass
      auto logits = batch.add({prompts[1], prompts[2]});
      for (int p : {1, 2}) {
        next.push_back(greedy_token(logits[p - 1]));
        row_prompt.push_back(p);
        got[p].push_back(next.back());
      }
    }
    auto logits = batch.step(next);
    for (std::int64_t r = 0; r < batch.rows(); ++r) {
      next[r] = greedy_token(logits[r]);
      got[row_prompt[r]].push_back(next[r]);
    }
    for (std::int64_t r = batch.rows() - 1; r >= 0; --r) {
      if (static_cast<std::int64_t>(got[row_prompt[r]].size()) < steps) continue;
      batch.remove(r);  // the last row moves into r
      next[r] = next.back();
      next.pop_back();
      row_prompt[r] = row_prompt.back();
      row_prompt.pop_back();
      if (row_prompt.size() < 3 && got[3].empty()) join(3);
    }
  }
  for (std::size_t p = 0; p < prompts.size(); ++p) EXPECT_EQ(got[p], alone[p]) << "prompt " << p;
}

TEST(BatchDecoder, JoiningAndLeavingRowsDecodeAsAlone) { expect_batched_equals_alone(true); }

TEST(BatchDecoder, ThroughLibTorchRowsDecodeAsAloneOnTheEngine) {
  expect_batched_equals_alone(false);
}

// A step through LibTorch (rows at positions 5, 2 and 8, each writing its own column) gives
// the engine's logits for the same rows and the same cache contents.
TEST(BatchDecoder, LibTorchStepMatchesTheEngineLogits) {
  CHOSEI_REQUIRE_DATA(dir, "derived_hf_llama_stories260K");
  auto m = load_model_dir(dir);
  const std::vector<std::vector<TokenId>> prompts = {
      {1, 403, 407, 261, 71}, {1, 71}, {1, 500, 261, 339, 370, 261, 416, 258}};
  auto logits_of = [&](bool engine) {
    m.model->set_engine_decoding(engine);
    BatchDecoder batch(m.model, 4, 32);
    batch.add(prompts);
    return batch.step({13, 40, 258});
  };
  auto on_engine = logits_of(true), through_libtorch = logits_of(false);
  ASSERT_EQ(through_libtorch.sizes(), on_engine.sizes());
  EXPECT_TRUE(through_libtorch.device().is_cpu());
  EXPECT_LT((through_libtorch - on_engine).abs().max().item<float>(), 1e-4);
}

// The names --device and the run key accept, and the refusal on a machine without CUDA.
TEST(ComputeDevice, ParsesNamesAndRefusesWhatIsNotThere) {
  EXPECT_TRUE(parse_compute_device("cpu").is_cpu());
  for (const auto* bad : {"gpu", "cuda:", "cuda:x", "CPU", ""}) {
    try {
      parse_compute_device(bad);
      ADD_FAILURE() << bad << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("is not one of cpu, cuda, cuda:N"), std::string::npos)
          << e.what();
    }
  }
  if (torch::cuda::is_available()) {
    EXPECT_TRUE(parse_compute_device("cuda").is_cuda());
    EXPECT_THROW(parse_compute_device("cuda:999"), std::invalid_argument);
  } else {
    try {
      parse_compute_device("cuda");
      ADD_FAILURE() << "cuda accepted without CUDA";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("torch::cuda::is_available() is false"),
                std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace chosei
