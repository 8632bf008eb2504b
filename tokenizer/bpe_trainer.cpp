#include "tokenizer/bpe_trainer.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <queue>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "base/atomic_file.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/byte_level_bpe_json.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/pretokenizer_split.h"

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
std::unordered_map<std::string, std::int64_t> count_words(const std::vector<std::string>& files,
                                                          const std::vector<std::string>& specials,
                                                          const TrainingText& text_of) {
  std::unordered_map<std::string, std::int64_t> counts;
  for (const auto& file : files) {
    std::string text = text_of ? text_of(file) : read_file(file);
    for (const auto& s : specials) {
      std::size_t pos;
      while ((pos = text.find(s)) != std::string::npos) text.replace(pos, s.size(), "\n");
    }
    for (auto [b, n] : split_words(text, SplitPattern::kGpt2)) ++counts[text.substr(b, n)];
  }
  return counts;
}

// Pair counts over all words, kept up to date incrementally: a merge touches only the
// words that contain the pair and changes only the counts of the pairs around each
// occurrence (as HF tokenizers' BpeTrainer does), so training cost follows the text that
// changes, not the whole corpus per merge.
class PairCounter {
 public:
  explicit PairCounter(std::vector<Word>& words) : words_(words) {
    for (std::size_t w = 0; w < words_.size(); ++w) {
      const auto& s = words_[w].symbols;
      for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        Pair p = make_pair_key(s[i], s[i + 1]);
        counts_[p] += words_[w].count;
        where_[p].push_back(static_cast<std::uint32_t>(w));
      }
    }
    for (auto& [pair, count] : counts_) heap_.push({count, pair});
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
      if (count < min_count || count <= 0) return false;
      *out = pair;
      return true;
    }
    return false;
  }

  void merge(Pair pair, std::int32_t new_id) {
    const auto a = static_cast<std::int32_t>(pair >> 32);
    const auto b = static_cast<std::int32_t>(pair & 0xffffffffu);
    auto where = std::move(where_[pair]);
    where_.erase(pair);
    std::sort(where.begin(), where.end());
    where.erase(std::unique(where.begin(), where.end()), where.end());
    std::unordered_map<Pair, std::int64_t> delta;
    std::vector<std::int32_t> out;
    for (auto w : where) {
      auto& s = words_[w].symbols;
      const std::int64_t c = words_[w].count;
      out.clear();
      bool changed = false;
      for (std::size_t i = 0; i < s.size();) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          // The neighbours' pairs change; `out.back()` may itself be a fresh merge.
          if (!out.empty()) {
            delta[make_pair_key(out.back(), a)] -= c;
            delta[make_pair_key(out.back(), new_id)] += c;
            where_[make_pair_key(out.back(), new_id)].push_back(w);
          }
          if (i + 2 < s.size()) {
            delta[make_pair_key(b, s[i + 2])] -= c;
            delta[make_pair_key(new_id, s[i + 2])] += c;
            where_[make_pair_key(new_id, s[i + 2])].push_back(w);
          }
          out.push_back(new_id);
          i += 2;
          changed = true;
        } else {
          out.push_back(s[i++]);
        }
      }
      if (changed) s.assign(out.begin(), out.end());
    }
    counts_.erase(pair);
    for (const auto& [p, d] : delta) {
      if (d == 0 || p == pair) continue;
      auto& c = counts_[p];
      c += d;
      if (c > 0) heap_.push({c, p});
    }
  }

 private:
  struct Entry {
    std::int64_t count;
    Pair pair;
    bool operator<(const Entry& o) const {
      return count != o.count ? count < o.count : pair > o.pair;
    }
  };
  std::vector<Word>& words_;
  std::unordered_map<Pair, std::int64_t> counts_;
  std::unordered_map<Pair, std::vector<std::uint32_t>> where_;
  std::priority_queue<Entry> heap_;
};

}  // namespace

TrainedBpe train_byte_level_bpe(const std::vector<std::string>& files,
                                const BpeTrainerOptions& options, const TrainingText& text_of) {
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
  for (const auto& [text, count] : count_words(files, options.special_tokens, text_of)) {
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
  ByteLevelBpeJson parts;
  parts.tokens = tokens;
  for (auto [a, b] : merges) parts.merges.emplace_back(tokens[a], tokens[b]);
  for (std::int64_t i = 0; i < n_special; ++i)
    parts.added_tokens.push_back(added_token_json(i, tokens[i], /*special=*/true));
  ordered_json j = byte_level_bpe_json(parts);
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
