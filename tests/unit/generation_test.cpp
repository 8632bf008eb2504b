// Sampling and streaming: hand-checked sampler behaviour and stop strings.

#include <gtest/gtest.h>

#include "generate/sampler.h"
#include "generate/text_stream.h"
#include "tests/unit/test_data.h"
#include "tokenizer/tokenizer_loader.h"

namespace chosei {
namespace {

TEST(Sampler, GreedyTakesFirstMaximum) {
  Sampler s({0.0, 0, 1.0, 1.0, 0});
  std::vector<float> logits = {0.1f, 2.0f, 2.0f, -1.0f};
  EXPECT_EQ(s.sample(logits.data(), 4, {}), 1);
}

TEST(Sampler, RepetitionPenaltyWorkedByHand) {
  // CTRL: logit 2.0 seen before, r = 2 -> 1.0 < 1.5, so greedy moves to token 2.
  Sampler s({0.0, 0, 1.0, 2.0, 0});
  std::vector<float> logits = {0.0f, 2.0f, 1.5f};
  EXPECT_EQ(s.sample(logits.data(), 3, {1}), 2);
  // A negative logit is multiplied: -1 * 2 = -2 < -1.5.
  std::vector<float> neg = {-1.0f, -1.5f, -3.0f};
  EXPECT_EQ(Sampler({0.0, 0, 1.0, 2.0, 0}).sample(neg.data(), 3, {0}), 1);
}

// OpenAI's presence/frequency penalties, by hand: logits {2.0, 1.9, 1.0}, generated history
// {0, 0, 1} after a prompt token 2. Frequency 0.2, presence 0.05: token 0 loses
// 2*0.2 + 0.05 = 0.45 (-> 1.55), token 1 loses 0.25 (-> 1.65), token 2 (prompt only) keeps
// 1.0. Greedy then picks token 1.
TEST(Sampler, PresenceAndFrequencyPenaltiesWorkedByHand) {
  SamplingOptions o;
  o.temperature = 0;
  o.frequency_penalty = 0.2;
  o.presence_penalty = 0.05;
  o.penalty_from = 1;
  const float logits[] = {2.0f, 1.9f, 1.0f};
  EXPECT_EQ(Sampler(o).sample(logits, 3, {2, 0, 0, 1}), 1);
  o.frequency_penalty = 0.02;  // 0 loses 0.09 (-> 1.91), 1 loses 0.07 (-> 1.83): 0 stays first
  EXPECT_EQ(Sampler(o).sample(logits, 3, {2, 0, 0, 1}), 0);
}

TEST(Sampler, TopKAndTopPRestrictCandidates) {
  std::vector<float> logits = {3.0f, 2.9f, 0.0f, -5.0f};
  // softmax(3, 2.9, 0, -5) ~ (0.5126, 0.4638, 0.0236, 0.0002): top-p 0.9 keeps {0, 1}.
  Sampler p({1.0, 0, 0.9, 1.0, 42});
  Sampler k({1.0, 1, 1.0, 1.0, 42});
  for (int i = 0; i < 500; ++i) {
    auto id = p.sample(logits.data(), 4, {});
    EXPECT_TRUE(id == 0 || id == 1);
    EXPECT_EQ(k.sample(logits.data(), 4, {}), 0);
  }
}

TEST(Sampler, SeedMakesSamplingReproducible) {
  std::vector<float> logits(50);
  for (int i = 0; i < 50; ++i) logits[i] = static_cast<float>(i % 7);
  Sampler a({0.8, 0, 1.0, 1.0, 7}), b({0.8, 0, 1.0, 1.0, 7});
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(a.sample(logits.data(), 50, {}), b.sample(logits.data(), 50, {}));
  EXPECT_THROW(Sampler({-1.0, 0, 1.0, 1.0, 0}), std::invalid_argument);
}

TEST(TextStream, HoldsBackStopStringPrefixesAndCutsAtStop) {
  CHOSEI_REQUIRE_DATA(path, "hf_fake_gpt2_fulltokenizer/tokenizer.json");
  auto tok = load_tokenizer(path);
  auto ids = tok.tokenizer->encode("Hello world. The end. More", false);
  TextStream stream(*tok.tokenizer, {"The end"});
  std::string out;
  for (auto id : ids) {
    out += stream.push(id);
    if (stream.stopped()) break;
  }
  out += stream.finish();
  EXPECT_TRUE(stream.stopped());
  EXPECT_EQ(out, "Hello world. ");
}

TEST(TextStream, MultiByteCharacterSplitAcrossTokensIsNotReleasedEarly) {
  CHOSEI_REQUIRE_DATA(path, "hf_fake_gpt2_fulltokenizer/tokenizer.json");
  auto tok = load_tokenizer(path);
  auto ids = tok.tokenizer->encode("a🦙b", false);  // the emoji spans several byte tokens
  TextStream stream(*tok.tokenizer, {});
  std::vector<std::string> chunks;
  for (auto id : ids) chunks.push_back(stream.push(id));
  chunks.push_back(stream.finish());
  std::string all;
  for (const auto& c : chunks) {
    EXPECT_EQ(c.find("\xEF\xBF\xBD"), std::string::npos) << "released a replacement character";
    all += c;
  }
  EXPECT_EQ(all, "a🦙b");
}

}  // namespace
}  // namespace chosei
