#include "tokenizer/bpe_model.h"

#include <cstdio>
#include <queue>
#include <stdexcept>

#include "base/unicode_text.h"

namespace chosei {

BpeModel::BpeModel(std::unordered_map<std::string, TokenId> vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges, Options options)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  TokenId max_id = -1;
  for (const auto& [tok, id] : vocab_) {
    if (id < 0) throw std::invalid_argument("BPE vocab: negative id for \"" + tok + "\"");
    max_id = std::max(max_id, id);
  }
  id_to_token_.resize(static_cast<std::size_t>(max_id + 1));
  for (const auto& [tok, id] : vocab_) id_to_token_[id] = tok;
  for (std::size_t r = 0; r < merges.size(); ++r) {
    const auto& [a, b] = merges[r];
    auto ia = vocab_.find(a), ib = vocab_.find(b), ic = vocab_.find(a + b);
    if (ia == vocab_.end() || ib == vocab_.end() || ic == vocab_.end())
      throw std::invalid_argument("BPE merge " + std::to_string(r) + " (\"" + a + "\" \"" + b +
                                  "\") uses a token missing from the vocabulary");
    merges_.emplace(pair_key(ia->second, ib->second),
                    Merge{static_cast<std::int32_t>(r), ic->second});
  }
  if (!options_.unk_token.empty()) unk_id_ = token_to_id(options_.unk_token);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    byte_ids_[b] = token_to_id(name);
  }
}

TokenId BpeModel::token_to_id(const std::string& token) const {
  auto it = vocab_.find(token);
  return it == vocab_.end() ? -1 : it->second;
}

const std::string* BpeModel::id_to_token(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= id_to_token_.size()) return nullptr;
  return &id_to_token_[id];
}

void BpeModel::initial_symbols(std::string_view word, std::vector<TokenId>& symbols) const {
  bool last_unk = false;
  for (const auto& c : decode_utf8(word)) {
    std::string ch(word.substr(c.offset, c.length));
    auto it = vocab_.find(ch);
    if (it != vocab_.end()) {
      symbols.push_back(it->second);
      last_unk = false;
      continue;
    }
    if (options_.byte_fallback) {
      bool all = true;
      for (unsigned char b : ch) all = all && byte_ids_[b] >= 0;
      if (all) {
        for (unsigned char b : ch) symbols.push_back(byte_ids_[b]);
        last_unk = false;
        continue;
      }
    }
    // Without an unk token HF tokenizers drops the character (SmolLM2's byte-level vocabulary
    // lacks a few control bytes): text a user types must not stop a server.
    if (unk_id_ < 0) continue;
    if (!(options_.fuse_unk && last_unk)) symbols.push_back(unk_id_);
    last_unk = true;
  }
}

void BpeModel::apply_merges(std::vector<TokenId>& sym) const {
  const std::size_t n = sym.size();
  if (n < 2) return;
  // Doubly linked list over symbol slots plus a min-heap of candidate merges; stale heap
  // entries are skipped by re-checking the pair at pop time.
  std::vector<int> prev(n), next(n);
  for (std::size_t i = 0; i < n; ++i) prev[i] = int(i) - 1, next[i] = i + 1 < n ? int(i + 1) : -1;
  struct Cand {
    std::int32_t rank;
    int pos;
    TokenId left, right;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto push = [&](int i) {
    if (i < 0 || next[i] < 0) return;
    auto it = merges_.find(pair_key(sym[i], sym[next[i]]));
    if (it != merges_.end()) heap.push({it->second.rank, i, sym[i], sym[next[i]]});
  };
  for (std::size_t i = 0; i + 1 < n; ++i) push(int(i));
  while (!heap.empty()) {
    Cand c = heap.top();
    heap.pop();
    int j = next[c.pos];
    if (sym[c.pos] != c.left || j < 0 || sym[j] != c.right || sym[c.pos] < 0) continue;
    sym[c.pos] = merges_.at(pair_key(c.left, c.right)).result;
    sym[j] = -1;
    next[c.pos] = next[j];
    if (next[j] >= 0) prev[next[j]] = c.pos;
    push(prev[c.pos]);
    push(c.pos);
  }
  std::size_t w = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (sym[i] >= 0) sym[w++] = sym[i];
  sym.resize(w);
}

void BpeModel::encode_word(std::string_view word, std::vector<TokenId>& out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    auto it = vocab_.find(std::string(word));
    if (it != vocab_.end()) return out.push_back(it->second);
  }
  const bool cacheable = word.size() <= 64;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(std::string(word));
    if (it != cache_.end())
      return out.insert(out.end(), it->second.begin(), it->second.end()), void();
  }
  std::vector<TokenId> symbols;
  initial_symbols(word, symbols);
  apply_merges(symbols);
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() > 200000) cache_.clear();
    cache_.emplace(std::string(word), symbols);
  }
  out.insert(out.end(), symbols.begin(), symbols.end());
}

}  // namespace chosei
