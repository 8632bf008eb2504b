#include "tokenizer/pretokenizer_split.h"

#include "base/unicode_text.h"

namespace chosei {

namespace {

constexpr const char* kGpt2Regex =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
constexpr const char* kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kQwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

constexpr const char* kO200kRegex =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'"
    "s|'"
    "t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{"
    "Lm}"
    "\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

class Matcher {
 public:
  Matcher(const std::vector<CodePoint>& cps, bool case_insensitive)
      : cps_(cps), n_(cps.size()), ci_(case_insensitive) {}

  bool letter(std::size_t i) const { return i < n_ && is_letter(cps_[i].cp); }
  bool number(std::size_t i) const { return i < n_ && is_number(cps_[i].cp); }
  bool space(std::size_t i) const { return i < n_ && is_whitespace(cps_[i].cp); }
  bool newline(std::size_t i) const { return i < n_ && (cps_[i].cp == '\r' || cps_[i].cp == '\n'); }
  bool is(std::size_t i, char32_t c) const { return i < n_ && cps_[i].cp == c; }
  bool other(std::size_t i) const { return i < n_ && !space(i) && !letter(i) && !number(i); }
  bool head(std::size_t i) const { return i < n_ && is_word_head(cps_[i].cp); }
  bool tail(std::size_t i) const { return i < n_ && is_word_tail(cps_[i].cp); }

  // 's|'t|'re|'ve|'m|'ll|'d: returns the end or 0.
  std::size_t contraction(std::size_t i) const {
    if (!is(i, '\'')) return 0;
    auto ch = [&](std::size_t k, char c) {
      if (k >= n_) return false;
      char32_t v = cps_[k].cp;
      if (ci_ && v >= 'A' && v <= 'Z') v += 'a' - 'A';
      return v == static_cast<char32_t>(c);
    };
    if (ch(i + 1, 's') || ch(i + 1, 't') || ch(i + 1, 'm') || ch(i + 1, 'd')) return i + 2;
    if ((ch(i + 1, 'r') && ch(i + 2, 'e')) || (ch(i + 1, 'v') && ch(i + 2, 'e')) ||
        (ch(i + 1, 'l') && ch(i + 2, 'l')))
      return i + 3;
    return 0;
  }
  template <typename Pred>
  std::size_t run(std::size_t i, Pred pred) const {
    while (i < n_ && pred(i)) ++i;
    return i;
  }
  // \s+(?!\S)|\s+ starting at a whitespace character i.
  std::size_t whitespace_tail(std::size_t i) const {
    std::size_t j = run(i, [&](std::size_t k) { return space(k); });
    if (j == n_ || j - i == 1) return j;  // at end, or a single space before a word: \s+
    return j - 1;                         // leave the last space to the next word
  }
  std::size_t size() const { return n_; }

 private:
  const std::vector<CodePoint>& cps_;
  std::size_t n_;
  bool ci_;
};

std::size_t next_gpt2(const Matcher& m, std::size_t i) {
  if (auto e = m.contraction(i)) return e;
  std::size_t s = m.is(i, ' ') ? i + 1 : i;
  if (m.letter(s)) return m.run(s, [&](std::size_t k) { return m.letter(k); });
  if (m.number(s)) return m.run(s, [&](std::size_t k) { return m.number(k); });
  if (m.other(s)) return m.run(s, [&](std::size_t k) { return m.other(k); });
  return m.whitespace_tail(i);
}

std::size_t next_llama3(const Matcher& m, std::size_t i, std::size_t max_digits) {
  if (auto e = m.contraction(i)) return e;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (m.letter(i)) return m.run(i, [&](std::size_t k) { return m.letter(k); });
  if (!m.newline(i) && !m.number(i) && m.letter(i + 1))
    return m.run(i + 1, [&](std::size_t k) { return m.letter(k); });
  // \p{N}{1,max}
  if (m.number(i)) {
    std::size_t j = i;
    while (j < m.size() && j - i < max_digits && m.number(j)) ++j;
    return j;
  }
  // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
  std::size_t s = m.is(i, ' ') ? i + 1 : i;
  if (m.other(s)) {
    std::size_t j = m.run(s, [&](std::size_t k) { return m.other(k); });
    return m.run(j, [&](std::size_t k) { return m.newline(k); });
  }
  // \s*[\r\n]+ : through the last newline of the whitespace run.
  std::size_t j = m.run(i, [&](std::size_t k) { return m.space(k); });
  for (std::size_t k = j; k > i; --k)
    if (m.newline(k - 1)) return k;
  return m.whitespace_tail(i);
}

// [^\r\n\p{L}\p{N}]? then, from `s`: head* tail+ (the head run given back until a tail
// character follows), the end of the word or 0.
std::size_t o200k_head_tails(const Matcher& m, std::size_t s) {
  const std::size_t j = m.run(s, [&](std::size_t k) { return m.head(k); });
  for (std::size_t k = j + 1; k-- > s;)
    if (m.tail(k)) return m.run(k, [&](std::size_t q) { return m.tail(q); });
  return 0;
}

// head+ tail*: the end of the word or 0.
std::size_t o200k_heads_tails(const Matcher& m, std::size_t s) {
  const std::size_t j = m.run(s, [&](std::size_t k) { return m.head(k); });
  return j > s ? m.run(j, [&](std::size_t k) { return m.tail(k); }) : 0;
}

std::size_t next_o200k(const Matcher& m, std::size_t i) {
  // The optional lead character first, then without it, for each word alternative in turn.
  const bool lead = !m.newline(i) && !m.letter(i) && !m.number(i);
  for (auto word : {o200k_head_tails, o200k_heads_tails})
    for (std::size_t s : {i + 1, i}) {
      if (s == i + 1 && !lead) continue;
      if (std::size_t e = word(m, s)) {
        const std::size_t with = m.contraction(e);
        return with ? with : e;
      }
    }
  if (m.number(i)) {  // \p{N}{1,3}
    std::size_t j = i;
    while (j < m.size() && j - i < 3 && m.number(j)) ++j;
    return j;
  }
  // ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
  std::size_t s = m.is(i, ' ') ? i + 1 : i;
  if (m.other(s)) {
    std::size_t j = m.run(s, [&](std::size_t k) { return m.other(k); });
    return m.run(j, [&](std::size_t k) { return m.newline(k) || m.is(k, '/'); });
  }
  std::size_t j = m.run(i, [&](std::size_t k) { return m.space(k); });
  for (std::size_t k = j; k > i; --k)
    if (m.newline(k - 1)) return k;
  return m.whitespace_tail(i);
}

}  // namespace

bool split_pattern_from_regex(const std::string& regex, SplitPattern* out) {
  if (regex == kGpt2Regex) return *out = SplitPattern::kGpt2, true;
  if (regex == kLlama3Regex) return *out = SplitPattern::kLlama3, true;
  if (regex == kQwen2Regex) return *out = SplitPattern::kQwen2, true;
  if (regex == kO200kRegex) return *out = SplitPattern::kO200k, true;
  return false;
}

std::string split_pattern_regex(SplitPattern pattern) {
  switch (pattern) {
    case SplitPattern::kGpt2:
      return kGpt2Regex;
    case SplitPattern::kLlama3:
      return kLlama3Regex;
    case SplitPattern::kQwen2:
      return kQwen2Regex;
    case SplitPattern::kO200k:
      return kO200kRegex;
  }
  return kGpt2Regex;
}

std::vector<std::pair<std::size_t, std::size_t>> split_words(std::string_view text,
                                                             SplitPattern pattern) {
  auto cps = decode_utf8(text);
  Matcher m(cps, pattern != SplitPattern::kGpt2);
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::size_t i = 0;
  while (i < cps.size()) {
    std::size_t j = pattern == SplitPattern::kGpt2 ? next_gpt2(m, i)
                    : pattern == SplitPattern::kO200k
                        ? next_o200k(m, i)
                        : next_llama3(m, i, pattern == SplitPattern::kQwen2 ? 1 : 3);
    if (j <= i) j = i + 1;  // unreachable with these patterns; guards against a stall
    std::size_t begin = cps[i].offset;
    std::size_t end = j < cps.size() ? cps[j].offset : text.size();
    spans.emplace_back(begin, end - begin);
    i = j;
  }
  return spans;
}

}  // namespace chosei
