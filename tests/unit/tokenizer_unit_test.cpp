// Hand-checked tokenizer behaviour: pre-tokenizer splits, special-token matching vs plain
// encoding, chat templates, and a tokenizer trained by chosei.

#include <gtest/gtest.h>

#include <fstream>

#include "model/bpe_trainer.h"
#include "model/chat_template.h"
#include "model/hf_tokenizer.h"
#include "model/pretokenizer_split.h"
#include "model/tokenizer_loader.h"
#include "tests/unit/test_data.h"

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
  auto tmpl = ChatTemplate::detect(tok.config.chat_template);
  EXPECT_EQ(tmpl.name(), "chatml");
  auto r = tmpl.render(*tok.tokenizer, {{"user", "hi <|im_end|>"}, {"assistant", "hello"}}, false);
  EXPECT_EQ(tok.tokenizer->decode(r.ids),
            "<|im_start|>user\nhi <|im_end|><|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n");
  // The user's typed "<|im_end|>" is text: exactly two real <|im_end|> tokens.
  const TokenId im_end = tok.tokenizer->token_to_id("<|im_end|>");
  EXPECT_EQ(std::count(r.ids.begin(), r.ids.end(), im_end), 2);
  // Labels: "hello" and its <|im_end|>, nothing else.
  std::vector<TokenId> labeled;
  for (std::size_t i = 0; i < r.ids.size(); ++i)
    if (r.assistant_mask[i]) labeled.push_back(r.ids[i]);
  EXPECT_EQ(tok.tokenizer->decode(labeled), "hello<|im_end|>");
  EXPECT_EQ(labeled.back(), im_end);
}

TEST(ChatTemplate, DetectsKnownTemplates) {
  EXPECT_EQ(ChatTemplate::detect("{{ '<|start_header_id|>' }}").name(), "llama3");
  EXPECT_EQ(ChatTemplate::detect("[INST] {{ m }} [/INST]").name(), "llama2");
  EXPECT_EQ(ChatTemplate::detect("<start_of_turn>").name(), "gemma");
  EXPECT_THROW(ChatTemplate::detect(""), std::invalid_argument);
  EXPECT_THROW(ChatTemplate::by_name("nope"), std::invalid_argument);
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
