#include "model/bpe_trainer.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <queue>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "model/atomic_file.h"
#include "model/byte_level.h"
#include "model/chat_template.h"
#include "model/pretokenizer_split.h"

namespace chosei {

namespace {

using Pair = std::uint64_t;
Pair make_pair_key(std::int32_t a, std::int32_t b) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) |
         static_cast<std::uint32_t>(b);
}

struct Word {
  std::vector<std::int32_t> symbols;
  std::int64_t count;
};

// Counts GPT-2-pattern words of every file. Special-token strings in the text are cut out
// so they never become part of merges.
std::unordered_map<std::string, std::int64_t> count_words(
    const std::vector<std::string>& files, const std::vector<std::string>& specials) {
  std::unordered_map<std::string, std::int64_t> counts;
  for (const auto& file : files) {
    std::string text = read_file(file);
    for (const auto& s : specials) {
      std::size_t pos;
      while ((pos = text.find(s)) != std::string::npos) text.replace(pos, s.size(), "\n");
    }
    for (auto [b, n] : split_words(text, SplitPattern::kGpt2)) ++counts[text.substr(b, n)];
  }
  return counts;
}

class PairCounter {
 public:
  explicit PairCounter(std::vector<Word>& words) : words_(words) {
    for (std::size_t w = 0; w < words_.size(); ++w) add_word(w, +1);
    for (auto& [pair, count] : counts_) heap_.push({count, pair});
    heap_ready_ = true;
  }

  // The most frequent pair (ties: smallest pair key, for determinism); false when none
  // reaches min_count.
  bool best(std::int64_t min_count, Pair* out) {
    while (!heap_.empty()) {
      auto [count, pair] = heap_.top();
      auto it = counts_.find(pair);
      std::int64_t actual = it == counts_.end() ? 0 : it->second;
      if (actual != count) {  // stale entry
        heap_.pop();
        if (actual > 0) heap_.push({actual, pair});
        continue;
      }
      if (count < min_count) return false;
      *out = pair;
      return true;
    }
    return false;
  }

  void merge(Pair pair, std::int32_t new_id) {
    const auto a = static_cast<std::int32_t>(pair >> 32),
               b = static_cast<std::int32_t>(pair & 0xffffffffu);
    auto where = std::move(where_[pair]);
    where_.erase(pair);
    for (auto w : where) {
      auto& s = words_[w].symbols;
      bool has = false;
      for (std::size_t i = 0; i + 1 < s.size(); ++i) has = has || (s[i] == a && s[i + 1] == b);
      if (!has) continue;
      add_word(w, -1);
      std::vector<std::int32_t> merged;
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b)
          merged.push_back(new_id), ++i;
        else
          merged.push_back(s[i]);
      }
      s = std::move(merged);
      add_word(w, +1);
    }
    counts_.erase(pair);
  }

 private:
  void add_word(std::size_t w, int sign) {
    const auto& s = words_[w].symbols;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
      Pair p = make_pair_key(s[i], s[i + 1]);
      auto& c = counts_[p];
      c += sign * words_[w].count;
      if (sign > 0) {
        where_[p].insert(static_cast<std::uint32_t>(w));
        if (heap_ready_) heap_.push({c, p});
      }
    }
  }
  struct Entry {
    std::int64_t count;
    Pair pair;
    bool operator<(const Entry& o) const {
      return count != o.count ? count < o.count : pair > o.pair;
    }
  };
  std::vector<Word>& words_;
  std::unordered_map<Pair, std::int64_t> counts_;
  std::unordered_map<Pair, std::unordered_set<std::uint32_t>> where_;
  std::priority_queue<Entry> heap_;
  bool heap_ready_ = false;
};

}  // namespace

TrainedBpe train_byte_level_bpe(const std::vector<std::string>& files,
                                const BpeTrainerOptions& options) {
  const auto n_special = static_cast<std::int64_t>(options.special_tokens.size());
  if (options.vocab_size < 256 + n_special)
    throw std::invalid_argument("vocab size " + std::to_string(options.vocab_size) +
                                " cannot hold the 256 bytes and " + std::to_string(n_special) +
                                " special tokens");
  // Ids: special tokens first (so <|endoftext|> is 0 as in GPT-2-style vocabularies' added
  // tokens), then the 256 byte symbols, then merges.
  std::vector<std::string> tokens(options.special_tokens.begin(), options.special_tokens.end());
  const auto byte_base = static_cast<std::int32_t>(tokens.size());
  for (int b = 0; b < 256; ++b) tokens.push_back(byte_to_char(static_cast<unsigned char>(b)));

  std::vector<Word> words;
  for (const auto& [text, count] : count_words(files, options.special_tokens)) {
    Word w{{}, count};
    for (unsigned char c : text) w.symbols.push_back(byte_base + c);
    words.push_back(std::move(w));
  }
  std::sort(words.begin(), words.end(),
            [](const Word& a, const Word& b) { return a.symbols < b.symbols; });
  PairCounter counter(words);
  std::vector<std::pair<std::int32_t, std::int32_t>> merges;
  Pair best;
  while (static_cast<std::int64_t>(tokens.size()) < options.vocab_size &&
         counter.best(options.min_frequency, &best)) {
    auto a = static_cast<std::int32_t>(best >> 32),
         b = static_cast<std::int32_t>(best & 0xffffffffu);
    auto id = static_cast<std::int32_t>(tokens.size());
    tokens.push_back(tokens[a] + tokens[b]);
    merges.emplace_back(a, b);
    counter.merge(best, id);
  }

  using nlohmann::ordered_json;
  ordered_json vocab = ordered_json::object(), merge_list = ordered_json::array(),
               added = ordered_json::array();
  for (std::size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = i;
  for (auto [a, b] : merges) merge_list.push_back({tokens[a], tokens[b]});
  for (std::int64_t i = 0; i < n_special; ++i)
    added.push_back({{"id", i},
                     {"content", tokens[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  ordered_json byte_level = {{"type", "ByteLevel"},
                             {"add_prefix_space", false},
                             {"trim_offsets", true},
                             {"use_regex", true}};
  ordered_json j = {{"version", "1.0"},
                    {"truncation", nullptr},
                    {"padding", nullptr},
                    {"added_tokens", added},
                    {"normalizer", nullptr},
                    {"pre_tokenizer", byte_level},
                    {"post_processor",
                     {{"type", "ByteLevel"},
                      {"add_prefix_space", false},
                      {"trim_offsets", false},
                      {"use_regex", true}}},
                    {"decoder", byte_level},
                    {"model",
                     {{"type", "BPE"},
                      {"dropout", nullptr},
                      {"unk_token", nullptr},
                      {"continuing_subword_prefix", nullptr},
                      {"end_of_word_suffix", nullptr},
                      {"fuse_unk", false},
                      {"byte_fallback", false},
                      {"ignore_merges", false},
                      {"vocab", vocab},
                      {"merges", merge_list}}}};
  ordered_json config = {{"tokenizer_class", "PreTrainedTokenizerFast"},
                         {"bos_token", nullptr},
                         {"eos_token", "<|im_end|>"},
                         {"pad_token", "<|endoftext|>"},
                         {"unk_token", nullptr},
                         {"add_bos_token", false},
                         {"add_eos_token", false},
                         {"model_max_length", 2048},
                         {"chat_template", ChatTemplate::by_name("chatml").jinja()}};
  return {j.dump(2) + "\n", config.dump(2) + "\n", static_cast<std::int64_t>(merges.size())};
}

}  // namespace chosei
