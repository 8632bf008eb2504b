// The server's model registry: models added while another one is decoding serve from the
// next request on, with the chat policy's stop ids; names are unique.

#include <gtest/gtest.h>

#include <future>

#include "chat/model_registry.h"
#include "generate/generation.h"
#include "tests/unit/test_data.h"

namespace chosei {
namespace {

// Greedy decoding of `prompt` through the registry's generation loop.
std::vector<std::string> decode(ServedModel& sm, const std::vector<TokenId>& prompt, int n) {
  auto job = std::make_shared<GenerationJob>();
  job->prompt = prompt;
  job->max_tokens = n;
  job->sampling.temperature = 0;
  auto pieces = std::make_shared<std::vector<std::string>>();
  std::promise<void> finished;
  job->on_text = [pieces](const std::string& t) {
    pieces->push_back(t);
    return true;
  };
  job->on_done = [&finished](const GenerationSummary&) { finished.set_value(); };
  EXPECT_TRUE(sm.loop->submit(job));
  finished.get_future().wait();
  return *pieces;
}

TEST(ModelRegistry, AddsModelsWhileServingAndKeepsNamesUnique) {
  CHOSEI_REQUIRE_DATA(dir, "derived_hf_llama_stories260K");
  ModelRegistry registry({2, 8, Precision::kFP32, "", "f32"});
  registry.add("first", dir);
  auto first = registry.find("first");
  ASSERT_TRUE(first);
  EXPECT_EQ(registry.find("second"), nullptr);
  auto pending = std::async(std::launch::async, [&] { return decode(*first, {1, 403}, 40); });
  registry.add("second", dir);  // while "first" decodes
  EXPECT_EQ(registry.names(), (std::vector<std::string>{"first", "second"}));
  EXPECT_THROW(registry.add("first", dir), std::invalid_argument);
  auto second = registry.find("second");
  // Both answer as generate() does alone.
  GenerateOptions g;
  g.max_new_tokens = 40;
  g.sampling.temperature = 0;
  auto expected = generate(second->loaded.model, second->tokenizer(), {1, 403}, g).text;
  std::string a, b;
  for (const auto& p : pending.get()) a += p;
  for (const auto& p : decode(*second, {1, 403}, 40)) b += p;
  EXPECT_EQ(a, expected);
  EXPECT_EQ(b, expected);
  // stories260K has no chat template and lacks ChatML's tokens: a base model (legacy
  // completions only); EOS stops.
  EXPECT_FALSE(second->chat_template.has_value());
  EXPECT_THROW(second->render({{"user", "hi"}}), std::logic_error);
  EXPECT_EQ(second->stop_ids, second->loaded.eos_ids());
}

}  // namespace
}  // namespace chosei
