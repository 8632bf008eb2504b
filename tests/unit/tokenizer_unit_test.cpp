// Hand-checked tokenizer behaviour: pre-tokenizer splits, special-token matching vs plain
// encoding, chat templates, and a tokenizer trained by chosei.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/unit/test_data.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/chat_messages.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/pretokenizer_split.h"
#include "tokenizer/tokenizer_loader.h"

namespace chosei {
namespace {

std::vector<std::string> pieces(const std::string& text, SplitPattern p) {
  std::vector<std::string> out;
  for (auto [b, n] : split_words(text, p)) out.push_back(text.substr(b, n));
  return out;
}

TEST(PreTokenizer, Gpt2SplitWorkedByHand) {
  // "\s+(?!\S)" leaves the last space of a run to the following word.
  EXPECT_EQ(pieces("Hello  world's 123!!\n\n x", SplitPattern::kGpt2),
            (std::vector<std::string>{"Hello", " ", " world", "'s", " 123", "!!", "\n\n", " x"}));
  EXPECT_EQ(pieces("a   ", SplitPattern::kGpt2), (std::vector<std::string>{"a", "   "}));
}

TEST(PreTokenizer, Llama3SplitWorkedByHand) {
  // Digits in groups of three, case-insensitive contractions, punctuation absorbing newlines.
  EXPECT_EQ(pieces("I'M 12345 ok.\n\nyes", SplitPattern::kLlama3),
            (std::vector<std::string>{"I", "'M", " ", "123", "45", " ok", ".\n\n", "yes"}));
  EXPECT_EQ(pieces("x 12345", SplitPattern::kQwen2),
            (std::vector<std::string>{"x", " ", "1", "2", "3", "4", "5"}));
  // [^\r\n\p{L}\p{N}]?\p{L}+ : one leading non-letter joins the word.
  EXPECT_EQ(pieces("(hello", SplitPattern::kLlama3), (std::vector<std::string>{"(hello"}));
}

class TrainedTokenizer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(test::temp_dir("trained_tok"));
    std::ofstream corpus(*dir_ + "/corpus.txt");
    for (int i = 0; i < 50; ++i)
      corpus << "Our support team answers every question within one business day. "
             << "返品は購入から30日以内に受け付けます。ご不明な点はサポートまでお問い合わせください"
                "。\n";
    corpus.close();
    BpeTrainerOptions opt;
    opt.vocab_size = 400;
    auto trained = train_byte_level_bpe({*dir_ + "/corpus.txt"}, opt);
    std::ofstream(*dir_ + "/tokenizer.json") << trained.tokenizer_json;
    std::ofstream(*dir_ + "/tokenizer_config.json") << trained.tokenizer_config_json;
  }
  static std::string* dir_;
};
std::string* TrainedTokenizer::dir_ = nullptr;

TEST_F(TrainedTokenizer, EncodesRoundTripsAndCompresses) {
  auto tok = load_tokenizer(*dir_);
  // The repetitive corpus runs out of pairs seen twice before 400.
  EXPECT_LE(tok.tokenizer->vocab_size(), 400);
  EXPECT_GT(tok.tokenizer->vocab_size(), 300);
  const std::string text = "Our support team answers 返品は30日以内";
  auto ids = tok.tokenizer->encode(text);
  EXPECT_EQ(tok.tokenizer->decode(ids), text);
  EXPECT_LT(ids.size(), text.size() / 2) << "merges should compress frequent text";
  EXPECT_EQ(tok.tokenizer->token_to_id("<|im_start|>"), 1);
  EXPECT_EQ(tok.config.eos_token, "<|im_end|>");
}

TEST_F(TrainedTokenizer, SpecialTokensMatchedInEncodeButNotInPlainText) {
  auto tok = load_tokenizer(*dir_);
  const TokenId im_start = tok.tokenizer->token_to_id("<|im_start|>");
  auto special = tok.tokenizer->encode("<|im_start|>system");
  ASSERT_FALSE(special.empty());
  EXPECT_EQ(special[0], im_start);
  auto plain = tok.tokenizer->encode_plain("<|im_start|>system");
  EXPECT_EQ(std::count(plain.begin(), plain.end(), im_start), 0);
  EXPECT_EQ(tok.tokenizer->decode(plain), "<|im_start|>system");
}

TEST_F(TrainedTokenizer, ChatTemplateRendersChatmlWithAssistantMask) {
  auto tok = load_tokenizer(*dir_);
  auto tmpl = choose_chat_template(tok.config);
  EXPECT_EQ(tmpl.name(), "chatml");  // the config holds the built-in's Jinja
  auto r = tmpl.render_labeled(*tok.tokenizer, {{"user", "hi <|im_end|>"}, {"assistant", "hello"}});
  EXPECT_EQ(tok.tokenizer->decode(r.ids),
            "<|im_start|>user\nhi <|im_end|><|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n");
  // The user's typed "<|im_end|>" is text: exactly two real <|im_end|> tokens.
  const TokenId im_end = tok.tokenizer->token_to_id("<|im_end|>");
  EXPECT_EQ(std::count(r.ids.begin(), r.ids.end(), im_end), 2);
  // Labels: what the answer adds after the generation prompt (TRL's prefix rule): "hello",
  // its <|im_end|> and the newline the template writes after it.
  std::vector<TokenId> labeled;
  for (std::size_t i = 0; i < r.ids.size(); ++i)
    if (r.assistant_mask[i]) labeled.push_back(r.ids[i]);
  EXPECT_EQ(tok.tokenizer->decode(labeled), "hello<|im_end|>\n");
  EXPECT_EQ(std::count(labeled.begin(), labeled.end(), im_end), 1);
}

// The named formats are Jinja templates like any model's; their turn terminators are found by
// rendering, and a name or file that is neither refuses with the known names.
TEST(ChatTemplate, BuiltinFormatsAndTheirTerminators) {
  const std::map<std::string, std::string> terminators = {{"chatml", "<|im_end|>"},
                                                          {"llama3", "<|eot_id|>"},
                                                          {"llama2", "</s>"},
                                                          {"zephyr", "</s>"},
                                                          {"gemma", "<end_of_turn>"}};
  for (const auto& name : ChatTemplate::names())
    EXPECT_EQ(ChatTemplate::by_name(name).end_of_turn(),
              std::vector<std::string>{terminators.at(name)})
        << name;
  EXPECT_EQ(ChatTemplate::by_name("llama2").render_text(
                {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}},
                false),
            "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello </s><s>[INST] Bye [/INST]");
  EXPECT_EQ(ChatTemplate::by_name("gemma").render_text({{"system", "S"}, {"user", "Hi"}}, true),
            "<bos><start_of_turn>user\nS\n\nHi<end_of_turn>\n<start_of_turn>model\n");
  EXPECT_THROW(ChatTemplate::by_name("nope"), std::invalid_argument);
  EXPECT_THROW(choose_chat_template({}, "no-such-template"), std::invalid_argument);
  TokenizerConfig config;
  config.chat_template = "{% for m in messages %}{{ m.content }";
  try {
    choose_chat_template(config);
    ADD_FAILURE() << "a template that does not parse was chosen";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("line 1"), std::string::npos) << e.what();
  }
}

TEST(HfTokenizer, UnsupportedPartsAreClearErrors) {
  const std::string unigram = R"({"model":{"type":"Unigram","vocab":[]}})";
  try {
    HfTokenizer tok(unigram, {}, "t.json");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("Unigram"), std::string::npos) << e.what();
  }
  EXPECT_THROW(HfTokenizer("{oops", {}, "t.json"), std::invalid_argument);
}

}  // namespace
}  // namespace chosei

namespace chosei {
namespace {

// Brute-force BPE training: recount every pair after every merge. The incremental trainer
// must pick the same merges (most frequent pair; ties to the smallest (left, right) ids).
std::vector<std::pair<std::string, std::string>> brute_force_merges(const std::string& text,
                                                                    int merges) {
  std::map<std::string, std::int64_t> counts;
  for (auto [b, n] : split_words(text, SplitPattern::kGpt2)) ++counts[text.substr(b, n)];
  const int base = 3;  // the three special tokens come first
  std::vector<std::string> tokens(base);
  for (int b = 0; b < 256; ++b) tokens.push_back(byte_to_char(static_cast<unsigned char>(b)));
  std::vector<std::pair<std::vector<int>, std::int64_t>> words;
  for (const auto& [w, c] : counts) {
    std::vector<int> s;
    for (unsigned char ch : w) s.push_back(base + ch);
    words.push_back({s, c});
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (int m = 0; m < merges; ++m) {
    std::map<std::pair<int, int>, std::int64_t> pairs;
    for (const auto& [s, c] : words)
      for (std::size_t i = 0; i + 1 < s.size(); ++i) pairs[{s[i], s[i + 1]}] += c;
    std::pair<int, int> best{-1, -1};
    std::int64_t best_count = 1;  // min_frequency 2
    for (const auto& [p, c] : pairs)
      if (c > best_count) best = p, best_count = c;
    if (best.first < 0) break;
    int id = static_cast<int>(tokens.size());
    tokens.push_back(tokens[best.first] + tokens[best.second]);
    out.emplace_back(tokens[best.first], tokens[best.second]);
    for (auto& [s, c] : words) {
      std::vector<int> merged;
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == best.first && s[i + 1] == best.second)
          merged.push_back(id), ++i;
        else
          merged.push_back(s[i]);
      }
      s = merged;
    }
  }
  return out;
}

TEST(BpeTrainer, IncrementalCountsPickTheSameMergesAsRecounting) {
  const std::string text =
      "aaaa abab abab baba the theme then there thereafter 1111 22 333 aaa aa a\n"
      "返品 返品は 返品の 注文 注文は aaaa abab";
  auto dir = test::temp_dir("bpe_brute");
  { std::ofstream(dir + "/c.txt") << text; }
  BpeTrainerOptions opt;
  opt.vocab_size = 3 + 256 + 40;
  auto trained = train_byte_level_bpe({dir + "/c.txt"}, opt);
  auto j = nlohmann::json::parse(trained.tokenizer_json);
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& m : j["model"]["merges"]) got.emplace_back(m[0], m[1]);
  auto expected = brute_force_merges(text, 40);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace chosei
