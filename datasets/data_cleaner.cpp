#include "datasets/data_cleaner.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "base/unicode_text.h"

namespace chosei {

namespace {

constexpr int kHashes = 128, kBands = 16,
              kRows = kHashes / kBands;  // LSH threshold ~ (1/16)^(1/8) = 0.71
using Signature = std::array<std::uint64_t, kHashes>;

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string normalize(const std::string& text) {
  std::string folded = to_lower(normalize_nfkc(utf8_lossy(text)));
  std::string out;
  bool space = false;
  for (const auto& c : decode_utf8(folded)) {
    if (is_whitespace(c.cp)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ', space = false;
    append_utf8(out, c.cp);
  }
  return out;
}

Signature signature(const std::string& normalized) {
  Signature sig;
  sig.fill(~0ull);
  auto cps = decode_utf8(normalized);
  const std::size_t n = 5;
  std::hash<std::string_view> h;
  for (std::size_t i = 0; i + n <= std::max(cps.size(), n); ++i) {
    std::size_t begin = i < cps.size() ? cps[i].offset : normalized.size();
    std::size_t end = i + n < cps.size() ? cps[i + n].offset : normalized.size();
    const std::uint64_t base = h(std::string_view(normalized).substr(begin, end - begin));
    for (int k = 0; k < kHashes; ++k)
      sig[k] = std::min(sig[k], mix(base ^ (0x632be59bd9b4e019ull * (k + 1))));
    if (i + n >= cps.size()) break;
  }
  return sig;
}

double estimate(const Signature& a, const Signature& b) {
  int same = 0;
  for (int k = 0; k < kHashes; ++k) same += a[k] == b[k];
  return double(same) / kHashes;
}

std::string flatten(const Conversation& c) {
  std::string text;
  for (const auto& t : c.turns) text += t.role + ": " + t.content + "\n";
  return text;
}

// Repetition, after Gopher's quality filters (Rae et al. 2021, arXiv 2112.11446, Table A1):
// the share of word bigrams that repeat an earlier bigram, or of lines that repeat an
// earlier line, whichever is larger.
double repetition(const std::string& normalized, const Conversation& c) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < normalized.size()) {
    auto end = normalized.find(' ', start);
    if (end == std::string::npos) end = normalized.size();
    if (end > start) words.push_back(normalized.substr(start, end - start));
    start = end + 1;
  }
  double bigram_share = 0;
  if (words.size() >= 11) {
    std::set<std::string> seen;
    int repeated = 0;
    for (std::size_t i = 0; i + 1 < words.size(); ++i)
      if (!seen.insert(words[i] + ' ' + words[i + 1]).second) ++repeated;
    bigram_share = double(repeated) / double(words.size() - 1);
  }
  std::set<std::string> seen;
  int lines = 0, repeated = 0;
  for (const auto& t : c.turns) {
    std::size_t pos = 0;
    while (pos < t.content.size()) {
      auto end = t.content.find('\n', pos);
      if (end == std::string::npos) end = t.content.size();
      auto l = t.content.substr(pos, end - pos);
      pos = end + 1;
      if (l.find_first_not_of(" \t\r") == std::string::npos) continue;
      ++lines;
      if (!seen.insert(l).second) ++repeated;
    }
  }
  double line_share = lines >= 4 ? double(repeated) / lines : 0.0;
  return std::max(bigram_share, line_share);
}

double symbol_ratio(const std::string& text) {
  int symbols = 0, all = 0;
  for (const auto& c : decode_utf8(text)) {
    if (is_whitespace(c.cp)) continue;
    ++all;
    if (!is_letter(c.cp) && !is_number(c.cp)) ++symbols;
  }
  return all ? double(symbols) / all : 0.0;
}

}  // namespace

double minhash_similarity(const std::string& a, const std::string& b) {
  return estimate(signature(normalize(a)), signature(normalize(b)));
}

CleanResult clean_conversations(const std::vector<Conversation>& conversations,
                                const CleanOptions& opt) {
  CleanResult r;
  std::unordered_map<std::string, std::size_t> exact;  // normalized text -> kept index
  std::vector<std::pair<std::size_t, Signature>> kept_signatures;
  std::vector<std::unordered_map<std::uint64_t, std::vector<std::size_t>>> bands(kBands);
  for (std::size_t i = 0; i < conversations.size(); ++i) {
    const auto& c = conversations[i];
    std::string content;
    std::int64_t chars = 0;
    for (const auto& t : c.turns) {
      content += t.content + "\n";
      chars += static_cast<std::int64_t>(decode_utf8(t.content).size());
    }
    DroppedExample d{i, c.line, "", 0, 0};
    const std::string norm = normalize(flatten(c));
    if (chars < opt.min_chars)
      d.reason = "too_short";
    else if (chars > opt.max_chars)
      d.reason = "too_long";
    else if (symbol_ratio(content) > opt.max_symbol_ratio)
      d.reason = "symbols";
    else if (repetition(normalize(content), c) > opt.max_repetition)
      d.reason = "repetition";
    else if (auto it = exact.find(norm); it != exact.end())
      d.reason = "exact_duplicate", d.duplicate_of_line = conversations[it->second].line,
      d.similarity = 1;
    Signature sig{};
    if (d.reason.empty() && opt.near_duplicates) {
      sig = signature(norm);
      std::set<std::size_t> candidates;
      for (int b = 0; b < kBands; ++b) {
        std::uint64_t key = b;
        for (int k = 0; k < kRows; ++k) key = mix(key ^ sig[b * kRows + k]);
        for (auto slot : bands[b][key]) candidates.insert(slot);
      }
      for (auto slot : candidates) {
        double s = estimate(sig, kept_signatures[slot].second);
        if (s >= opt.near_duplicate_threshold && s > d.similarity)
          d.reason = "near_duplicate", d.similarity = s,
          d.duplicate_of_line = conversations[kept_signatures[slot].first].line;
      }
    }
    if (!d.reason.empty()) {
      r.dropped.push_back(d);
      continue;
    }
    exact.emplace(norm, i);
    r.kept.push_back(i);
    if (opt.near_duplicates) {
      const auto slot = kept_signatures.size();
      kept_signatures.emplace_back(i, sig);
      for (int b = 0; b < kBands; ++b) {
        std::uint64_t key = b;
        for (int k = 0; k < kRows; ++k) key = mix(key ^ sig[b * kRows + k]);
        bands[b][key].push_back(slot);
      }
    }
  }
  return r;
}

}  // namespace chosei
