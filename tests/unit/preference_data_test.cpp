// Preference readers on the third-party files in ../shared/data and on broken lines, and
// preference tokenization (prompt prefix, raw vs chat, end of turn, length limits).

#include <gtest/gtest.h>

#include <fstream>

#include "datasets/chat_reader.h"
#include "datasets/preference_example.h"
#include "datasets/preference_reader.h"
#include "tests/unit/test_data.h"
#include "tokenizer/chat_messages.h"
#include "tokenizer/tokenizer_loader.h"

namespace chosei {
namespace {

std::string write_lines(const std::string& name, const std::vector<std::string>& lines) {
  const auto path = test::temp_dir("preference_data") + "/" + name;
  std::ofstream f(path);
  for (const auto& l : lines) f << l << "\n";
  return path;
}

TEST(PreferenceReader, HhRlhfTranscriptsSplitIntoTurnsWithTheSharedPrefixAsPrompt) {
  CHOSEI_REQUIRE_DATA(path, "hh_rlhf_harmless_dev/harmless_base_test_half_a.jsonl");
  auto d = read_preference_dataset(path);
  ASSERT_EQ(d.pairs.size(), 1156u);
  EXPECT_EQ(d.formats.at("hh-rlhf"), 1156u);
  const auto& p = d.pairs[0];
  EXPECT_FALSE(p.raw);
  ASSERT_GE(p.prompt.size(), 3u);
  EXPECT_EQ(p.prompt[0].role, "user");
  EXPECT_EQ(p.prompt[0].content, "what are some pranks with a pen i can do?");
  EXPECT_EQ(p.prompt[1].content, "Are you looking for practical joke ideas?");
  EXPECT_EQ(p.prompt.back().role, "user");
  EXPECT_EQ(p.chosen[0].role, "assistant");
  EXPECT_EQ(p.chosen[0].content.rfind("No, sorry!", 0), 0u) << p.chosen[0].content;
  std::size_t single_answer = 0;
  for (const auto& q : d.pairs) {
    EXPECT_EQ(q.chosen.front().role, "assistant");
    single_answer += q.chosen.size() == 1 && q.rejected.size() == 1;
  }
  EXPECT_GT(single_answer, 1140u) << "99.8% share all but the final answer";
}

TEST(PreferenceReader, LlamaFactoryShareGptV1AndKto) {
  CHOSEI_REQUIRE_DATA(dir, "llamafactory_preference");
  auto en = read_preference_dataset(dir + "/dpo_en_demo.json");
  ASSERT_EQ(en.pairs.size(), 300u);
  EXPECT_EQ(en.formats.at("sharegpt"), 300u);
  EXPECT_EQ(en.pairs[0].prompt[0].content.rfind("Hi! I'd like to create a new language game", 0),
            0u);
  EXPECT_EQ(en.pairs[0].chosen[0].content.rfind("That sounds like a fun", 0), 0u);
  EXPECT_EQ(read_preference_dataset(dir + "/dpo_zh_demo.json").pairs.size(), 300u);
  auto v1 = read_preference_dataset(dir + "/v1_dpo_demo.jsonl");
  ASSERT_EQ(v1.pairs.size(), 10u);
  EXPECT_EQ(v1.formats.at("llamafactory-v1"), 10u);
  ASSERT_EQ(v1.pairs[0].prompt.size(), 2u);  // system + user, shared by both sides
  EXPECT_EQ(v1.pairs[0].prompt[0].role, "system");
  EXPECT_EQ(v1.pairs[0].chosen[0].content.rfind("Abdulah Hasanagic is the proud owner", 0), 0u);
  EXPECT_EQ(v1.pairs[0].rejected[0].content.rfind(" Abdulah Hasanagic", 0), 0u);
  auto kto = read_preference_dataset(dir + "/kto_en_demo.json");
  ASSERT_EQ(kto.unpaired.size(), 300u);
  EXPECT_TRUE(kto.pairs.empty());
  std::size_t desirable = 0;
  for (const auto& u : kto.unpaired) desirable += u.desirable;
  EXPECT_EQ(desirable, 150u);
  EXPECT_EQ(kto.unpaired[0].completion[0].role, "assistant");
  EXPECT_EQ(kto.unpaired[0].prompt.back().role, "user");
}

TEST(PreferenceReader, TurboAlignmentFixturesKeepIdsAndMapBotToAssistant) {
  CHOSEI_REQUIRE_DATA(dir, "turbo_alignment_fixture_datasets/rm");
  auto d = read_preference_dataset(dir + "/train_preferences.jsonl");
  ASSERT_FALSE(d.pairs.empty());
  EXPECT_EQ(d.pairs[0].id, "0");
  EXPECT_EQ(d.pairs[0].prompt[1].role, "assistant");  // "bot"
  EXPECT_EQ(d.pairs[0].chosen[0].content, "хорошо");
  EXPECT_EQ(d.pairs[0].rejected[0].content, "плохо");
  EXPECT_EQ(read_preference_dataset(dir + "/dpo_chat.jsonl").pairs[0].chosen[0].content, "good");
  auto kto = read_preference_dataset(dir + "/train_kto.jsonl");
  ASSERT_EQ(kto.unpaired.size(), 4u);
  EXPECT_FALSE(kto.unpaired[0].desirable);
  EXPECT_TRUE(kto.unpaired[1].desirable);
  EXPECT_EQ(kto.unpaired[1].prompt.size(), 4u);
}

TEST(PreferenceReader, TrlExplicitImplicitRawAndChatFormsAndOpenAiDpo) {
  auto path = write_lines(
      "trl.jsonl",
      {R"({"prompt": "The sky is", "chosen": " blue.", "rejected": " green.", "margin": 2})",
       R"({"chosen": "The sky is blue.", "rejected": "The sky is green."})",
       R"({"prompt": [{"role": "user", "content": "Sky?"}], "chosen": [{"role": "assistant", "content": "Blue."}], "rejected": [{"role": "assistant", "content": "Green."}]})",
       R"({"chosen": [{"role": "user", "content": "Sky?"}, {"role": "assistant", "content": "Blue."}], "rejected": [{"role": "user", "content": "Sky?"}, {"role": "assistant", "content": "Green."}]})",
       R"({"input": {"messages": [{"role": "user", "content": "Sky?"}]}, "preferred_output": [{"role": "assistant", "content": "Blue."}], "non_preferred_output": [{"role": "assistant", "content": "Green."}]})",
       R"({"input": {"messages": [{"role": "user", "content": "Sky?"}]}, "preferred_completion": [{"role": "assistant", "content": "Blue."}], "non_preferred_completion": [{"role": "assistant", "content": "Green."}]})",
       R"({"prompt": "Sky?", "completion": " Blue.", "label": true})"});
  auto d = read_preference_dataset(path);
  ASSERT_EQ(d.pairs.size(), 6u);
  EXPECT_TRUE(d.pairs[0].raw);
  EXPECT_EQ(d.pairs[0].prompt[0].content, "The sky is");
  EXPECT_EQ(*d.pairs[0].margin, 2.0);
  EXPECT_TRUE(d.pairs[1].raw);  // implicit: the shared text, ending before the space
  EXPECT_EQ(d.pairs[1].prompt[0].content, "The sky is");
  EXPECT_EQ(d.pairs[1].chosen[0].content, " blue.");
  EXPECT_EQ(d.pairs[1].rejected[0].content, " green.");
  for (int i = 2; i < 6; ++i) {
    EXPECT_FALSE(d.pairs[i].raw) << i;
    ASSERT_EQ(d.pairs[i].prompt.size(), 1u) << i;
    EXPECT_EQ(d.pairs[i].prompt[0].content, "Sky?");
    EXPECT_EQ(d.pairs[i].chosen[0].content, "Blue.");
    EXPECT_EQ(d.pairs[i].rejected[0].content, "Green.");
    EXPECT_EQ(d.pairs[i].line, static_cast<std::size_t>(i + 1));
  }
  EXPECT_EQ(d.formats.at("openai-dpo"), 2u);
  ASSERT_EQ(d.unpaired.size(), 1u);
  EXPECT_TRUE(d.unpaired[0].raw);
}

TEST(PreferenceReader, EveryBrokenLineIsAnErrorAtFileAndLine) {
  auto path = write_lines(
      "broken.jsonl",
      {R"({"prompt": "a", "chosen": " b", "rejected": " c"})", R"({"prompt": "a", "chosen": )",
       R"({"prompt": "a", "chosen": " b"})",
       R"({"prompt": "a", "chosen": " b", "rejected": " c", "margin": "big"})",
       R"({"prompt": [{"role": "user", "content": "a"}], "chosen": [{"role": "user", "content": "b"}], "rejected": [{"role": "assistant", "content": "c"}]})",
       R"({"messages": [{"role": "user", "content": "no pair here"}]})",
       R"({"prompt": "a", "completion": "b", "label": "yes"})"});
  try {
    read_preference_dataset(path);
    FAIL() << "expected DatasetError";
  } catch (const DatasetError& e) {
    ASSERT_EQ(e.errors().size(), 6u) << e.what();
    EXPECT_EQ(e.errors()[0].where(), path + ":2");
    EXPECT_EQ(e.errors()[0].kind, "invalid_json");
    EXPECT_EQ(e.errors()[1].where(), path + ":3");
    EXPECT_EQ(e.errors()[1].kind, "unknown_preference_format");
    EXPECT_EQ(e.errors()[2].kind, "wrong_type");
    EXPECT_EQ(e.errors()[3].kind, "answers_not_assistant");
    EXPECT_EQ(e.errors()[4].where(), path + ":6");
    EXPECT_EQ(e.errors()[5].kind, "wrong_type");
  }
  PreferenceReadOptions skip;
  skip.skip_invalid = true;
  auto d = read_preference_dataset(path, skip);
  EXPECT_EQ(d.pairs.size(), 1u);
  EXPECT_EQ(d.errors.size(), 6u);
  PreferenceReadOptions forced;
  forced.from = "openai-dpo";
  EXPECT_THROW(read_preference_dataset(path, forced), DatasetError);
  forced.from = "nonsense";
  EXPECT_THROW(read_preference_dataset(path, forced), std::invalid_argument);
  EXPECT_TRUE(looks_like_preference_file(path));
  EXPECT_FALSE(looks_like_preference_file(write_lines(
      "chat.jsonl",
      {R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]})"})));
}

class PreferenceTokenization : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto dir = test::data_path("derived_hf_llama_stories260K");
    if (dir.empty()) GTEST_SKIP() << "derived_hf_llama_stories260K not found";
    tok_ = load_tokenizer(dir);
    tmpl_ = std::make_unique<ChatTemplate>(prepare_chat_tokenizer(tok_, "chatml"));
  }
  LoadedTokenizer tok_;
  std::unique_ptr<ChatTemplate> tmpl_;
};

TEST_F(PreferenceTokenization, ChatPromptIsAPrefixAndTheSequenceIsTheWholeRendering) {
  const auto& t = *tok_.tokenizer;
  std::vector<Turn> prompt = {{"user", "Where is my order?", std::nullopt}};
  std::vector<Turn> answer = {{"assistant", "It ships today.", std::nullopt}};
  auto ids = tokenize_prompt_answer(false, prompt, answer, t, *tmpl_, "x:1");
  auto alone = tmpl_->render(t, {{"user", "Where is my order?", true}}, true).ids;
  ASSERT_EQ(ids.prompt_tokens, alone.size());
  EXPECT_TRUE(std::equal(alone.begin(), alone.end(), ids.ids.begin()));
  // As TRL tokenizes a pair: the rendering of prompt + answer, the template's separator after
  // the end-of-turn token included.
  const auto whole =
      tmpl_
          ->render(t,
                   {{"user", "Where is my order?", true}, {"assistant", "It ships today.", true}},
                   false)
          .ids;
  EXPECT_EQ(ids.ids, whole);
  const auto end = std::find(ids.ids.rbegin(), ids.ids.rend(), t.token_to_id("<|im_end|>"));
  ASSERT_NE(end, ids.ids.rend());
  EXPECT_EQ(t.decode(std::vector<TokenId>(end.base(), ids.ids.end())), "\n")
      << "the separator the template writes after the answer's end-of-turn";
  EXPECT_EQ(std::count(ids.ids.begin(), ids.ids.end(), t.token_to_id("<|im_end|>")), 2)
      << "one end-of-turn for the user turn, one for the answer";
}

TEST_F(PreferenceTokenization, ClassifierReadingEndsAtTheAnswersEndOfTurn) {
  const auto& t = *tok_.tokenizer;
  std::vector<Turn> prompt = {{"user", "Where is my order?", std::nullopt}};
  std::vector<Turn> answer = {{"assistant", "It ships today.", std::nullopt}};
  auto whole = tokenize_prompt_answer(false, prompt, answer, t, *tmpl_, "x:1");
  auto cut = tokenize_prompt_answer(false, prompt, answer, t, *tmpl_, "x:1", AnswerEnd::kEndOfTurn);
  EXPECT_EQ(cut.prompt_tokens, whole.prompt_tokens);
  ASSERT_LT(cut.ids.size(), whole.ids.size());
  EXPECT_TRUE(std::equal(cut.ids.begin(), cut.ids.end(), whole.ids.begin()));
  EXPECT_EQ(cut.ids.back(), t.token_to_id("<|im_end|>"));
}

TEST_F(PreferenceTokenization, RawTextIsPromptThenAnswerThenEosWithoutTemplate) {
  const auto& t = *tok_.tokenizer;
  auto ids =
      tokenize_prompt_answer(true, {{"user", "Once upon a time", std::nullopt}},
                             {{"assistant", " there was a cat", std::nullopt}}, t, *tmpl_, "x:1");
  auto prompt = t.encode("Once upon a time", true);
  auto answer = t.encode(" there was a cat", false);
  ASSERT_EQ(ids.ids.size(), prompt.size() + answer.size() + 1);
  EXPECT_EQ(ids.ids[0], t.bos_id());
  EXPECT_NE(ids.ids[1], t.bos_id()) << "no duplicate BOS";
  EXPECT_EQ(ids.prompt_tokens, prompt.size());
  EXPECT_EQ(ids.ids.back(), t.eos_id());
  EXPECT_EQ(std::count(ids.ids.begin(), ids.ids.end(), t.token_to_id("<|im_start|>")), 0);
}

TEST_F(PreferenceTokenization, PairsOverTheLimitAndPromptsThatFillItAreDroppedAndCounted) {
  std::vector<PreferencePair> pairs(3);
  for (auto& p : pairs) {
    p.prompt = {{"user", "Hi", std::nullopt}};
    p.chosen = {{"assistant", "Hello.", std::nullopt}};
    p.rejected = {{"assistant", "Go away.", std::nullopt}};
    p.margin = 1.5;
  }
  pairs[1].rejected[0].content = std::string(300, 'a');
  pairs[2].prompt[0].content = std::string(300, 'b');
  PreferenceTokenizeReport r;
  auto ex = tokenize_preference_pairs(pairs, *tok_.tokenizer, *tmpl_, 64, &r);
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(r.kept, 1);
  EXPECT_EQ(r.dropped_too_long, 1);
  EXPECT_EQ(r.dropped_prompt_too_long, 1);
  EXPECT_EQ(ex[0].margin, 1.5);
  EXPECT_EQ(ex[0].chosen.prompt_tokens, ex[0].rejected.prompt_tokens);
}

}  // namespace
}  // namespace chosei
