// Golden tokenizations from third parties (tiktoken, llama.cpp, llama2.c tests) through each
// of our tokenizer readers, and decode(encode(s)) == s over hostile and Japanese text.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "base/unicode_text.h"
#include "tests/unit/test_data.h"
#include "tokenizer/tokenizer_loader.h"

namespace chosei {
namespace {

using nlohmann::json;

struct GoldenCase {
  std::string text;
  std::vector<TokenId> ids;
  bool add_special;
  int line;
};

std::vector<GoldenCase> read_golden(const std::string& path, bool default_bos) {
  std::vector<GoldenCase> cases;
  std::ifstream in(path);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    auto j = json::parse(line);
    cases.push_back(
        {j["text"], j["ids"].get<std::vector<TokenId>>(), j.value("bos", default_bos), n});
  }
  return cases;
}

// `golden` ids include BOS when its "bos" is true; we encode with special tokens then.
void expect_golden(const Tokenizer& tok, const std::string& golden_path, bool default_bos) {
  auto cases = read_golden(golden_path, default_bos);
  ASSERT_FALSE(cases.empty()) << golden_path;
  for (const auto& c : cases)
    EXPECT_EQ(tok.encode(c.text, c.add_special), c.ids)
        << golden_path << ":" << c.line << " text: " << c.text;
}

TEST(TokenizerGolden, Gpt2TokenizerJsonMatchesTiktoken) {
  CHOSEI_REQUIRE_DATA(dir, "hf_fake_gpt2_fulltokenizer");
  auto tok = load_tokenizer(dir + "/tokenizer.json");
  // tiktoken's cases; "allowed_special: all" means <|endoftext|> in the text is the special token.
  expect_golden(*tok.tokenizer, dir + "/golden_gpt2_encode.jsonl", false);
}

TEST(TokenizerGolden, Gpt2TokenizerJsonMatchesLlamaCpp) {
  CHOSEI_REQUIRE_DATA(dir, "hf_fake_gpt2_fulltokenizer");
  auto tok = load_tokenizer(dir);
  expect_golden(*tok.tokenizer, dir + "/golden_llamacpp_gpt2_vocab_tests.jsonl", false);
}

TEST(TokenizerGolden, Llama2TokenizerJsonMatchesLlama2c) {
  CHOSEI_REQUIRE_DATA(dir, "hf_llama2_tokenizer_json");
  auto tok = load_tokenizer(dir + "/tokenizer.json");
  EXPECT_EQ(tok.tokenizer->kind(), "tokenizer.json");
  expect_golden(*tok.tokenizer, dir + "/golden_encode_llama2.jsonl", true);
  expect_golden(*tok.tokenizer, dir + "/golden_llamacpp_llama_spm_vocab_tests.jsonl", false);
}

TEST(TokenizerGolden, Llama2SentencePieceModelMatches) {
  CHOSEI_REQUIRE_DATA(dir, "hf_llama2_tokenizer_json");
  auto tok = load_tokenizer(dir + "/tokenizer.model");
  EXPECT_EQ(tok.tokenizer->kind(), "sentencepiece");
  expect_golden(*tok.tokenizer, dir + "/golden_encode_llama2.jsonl", true);
  expect_golden(*tok.tokenizer, dir + "/golden_llamacpp_llama_spm_vocab_tests.jsonl", false);
}

TEST(TokenizerGolden, Llama2cTokenizerBinMatches) {
  CHOSEI_REQUIRE_DATA(dir, "llama2c_llama2_tokenizer");
  auto tok = load_tokenizer(dir + "/tokenizer.bin");
  EXPECT_EQ(tok.tokenizer->kind(), "llama2c");
  expect_golden(*tok.tokenizer, dir + "/golden_encode_llama2.jsonl", true);
  expect_golden(*tok.tokenizer, dir + "/golden_llamacpp_llama_spm_vocab_tests.jsonl", false);
}

TEST(TokenizerGolden, ToyByteLevelBpeFromTransformers) {
  CHOSEI_REQUIRE_DATA(path, "hf_tiny_gpt2_tinyvocab/golden_toy_bpe.json");
  auto golden = json::parse(std::ifstream(path));
  // The toy files are vocab.json + merges.txt; build the equivalent tokenizer.json.
  auto dir = test::data_path("hf_tiny_gpt2_tinyvocab");
  json vocab = json::parse(std::ifstream(dir + "/vocab.json"));
  std::ifstream merges_in(dir + "/merges.txt");
  json merges = json::array();
  std::string line;
  while (std::getline(merges_in, line))
    if (!line.empty() && line.rfind("#version", 0) != 0) merges.push_back(line);
  json tj = {
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}, {"unk_token", "<unk>"}}},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"added_tokens", json::array()}};
  auto tmp = test::temp_dir("toy_bpe");
  std::ofstream(tmp + "/tokenizer.json") << tj.dump();
  auto tok = load_tokenizer(tmp + "/tokenizer.json");
  SCOPED_TRACE(golden.dump());
  // The golden ids end with <unk> appended by the test itself; the encoding is the rest.
  auto expected = golden.at("ids_with_unk_appended").get<std::vector<TokenId>>();
  expected.pop_back();
  EXPECT_EQ(tok.tokenizer->encode(golden.at("text").get<std::string>(), false), expected);
  std::vector<std::string> pieces;
  for (auto id : expected) pieces.push_back(tok.tokenizer->id_to_token(id));
  EXPECT_EQ(pieces, golden.at("tokens").get<std::vector<std::string>>());
}

std::vector<std::string> naughty_strings() {
  auto path = test::data_path("robustness_naughty_strings/blns.json");
  std::vector<std::string> out;
  if (!path.empty())
    for (const auto& s : json::parse(std::ifstream(path))) out.push_back(s.get<std::string>());
  return out;
}

std::vector<std::string> japanese_utterances() {
  std::vector<std::string> out;
  for (const char* f : {"ja_daily_dialogue/topic1.json", "ja_daily_dialogue/topic4.json"}) {
    auto path = test::data_path(f);
    if (path.empty()) continue;
    for (const auto& dialogue : json::parse(std::ifstream(path)))
      for (const auto& u : dialogue.at("utterances"))
        out.push_back(u.at("utterance").get<std::string>());
  }
  return out;
}

void expect_round_trip(const Tokenizer& tok, const std::vector<std::string>& texts,
                       const std::string& what) {
  ASSERT_FALSE(texts.empty());
  int failures = 0;
  for (const auto& s : texts) {
    if (!is_valid_utf8(s)) continue;
    auto back = tok.decode(tok.encode_plain(s), false);
    if (back != s && ++failures <= 5)
      ADD_FAILURE() << what << " (" << tok.kind() << "): \"" << s << "\" -> \"" << back << "\"";
  }
  EXPECT_EQ(failures, 0) << what;
}

TEST(TokenizerGolden, RoundTripsNaughtyStringsAndJapanese) {
  auto naughty = naughty_strings();
  auto ja = japanese_utterances();
  if (naughty.empty() || ja.empty())
    GTEST_SKIP() << "robustness_naughty_strings or ja_daily_dialogue not found";
  std::vector<std::string> paths = {
      "hf_fake_gpt2_fulltokenizer/tokenizer.json", "hf_llama2_tokenizer_json/tokenizer.json",
      "hf_llama2_tokenizer_json/tokenizer.model", "llama2c_llama2_tokenizer/tokenizer.bin"};
  for (const auto& rel : paths) {
    auto tok = load_tokenizer(test::data_path(rel));
    expect_round_trip(*tok.tokenizer, naughty, "naughty strings");
    expect_round_trip(*tok.tokenizer, ja, "ja_daily_dialogue");
  }
}

}  // namespace
}  // namespace chosei
