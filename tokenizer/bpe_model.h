#pragma once
// BpeModel: the "BPE" model of a tokenizer.json (Sennrich et al. 2016, arXiv 1508.07909):
// a vocabulary, ranked merges, optional byte fallback (<0xXX> tokens for characters
// outside the vocabulary, as Llama 2 uses) and an unknown token. Turns one pre-tokenized
// word into ids by repeatedly merging the adjacent pair of lowest merge rank, leftmost
// first, exactly like HF tokenizers.

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace chosei {

class BpeModel {
 public:
  struct Options {
    bool byte_fallback = false;
    bool fuse_unk = false;
    bool ignore_merges = false;  // Llama 3: a word that is itself in the vocabulary wins
    std::string unk_token;       // empty: none
  };

  // `vocab` maps token string to id; `merges` are (left, right) pairs in rank order.
  BpeModel(std::unordered_map<std::string, TokenId> vocab,
           const std::vector<std::pair<std::string, std::string>>& merges, Options options);

  // Appends the ids of `word` to `out`.
  void encode_word(std::string_view word, std::vector<TokenId>& out) const;

  TokenId token_to_id(const std::string& token) const;  // -1 when absent
  const std::string* id_to_token(TokenId id) const;     // nullptr when absent
  std::int64_t size() const { return static_cast<std::int64_t>(id_to_token_.size()); }
  const std::unordered_map<std::string, TokenId>& vocab() const { return vocab_; }
  const Options& options() const { return options_; }

 private:
  struct Merge {
    std::int32_t rank;
    TokenId result;
  };
  static std::uint64_t pair_key(TokenId a, TokenId b) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) |
           static_cast<std::uint32_t>(b);
  }
  void initial_symbols(std::string_view word, std::vector<TokenId>& symbols) const;
  void apply_merges(std::vector<TokenId>& symbols) const;

  std::unordered_map<std::string, TokenId> vocab_;
  std::vector<std::string> id_to_token_;
  std::unordered_map<std::uint64_t, Merge> merges_;
  Options options_;
  TokenId unk_id_ = -1;
  TokenId byte_ids_[256];
  // Word cache for short words (byte-level pre-tokenized text repeats them constantly).
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<TokenId>> cache_;
};

}  // namespace chosei
