#include "train/text_metrics.h"

#include <algorithm>
#include <map>

#include "base/unicode_text.h"

namespace chosei {

namespace {

bool is_cjk(char32_t c) {
  return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xAC00 && c <= 0xD7AF);
}

double f_measure(double overlap, std::size_t answer, std::size_t reference) {
  if (overlap == 0 || answer == 0 || reference == 0) return 0;
  const double p = overlap / double(answer), r = overlap / double(reference);
  return 2 * p * r / (p + r);
}

}  // namespace

std::vector<std::string> metric_tokens(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) out.push_back(word), word.clear();
  };
  for (const auto& c : decode_utf8(to_lower(text))) {
    if (is_cjk(c.cp)) {
      flush();
      std::string s;
      append_utf8(s, c.cp);
      out.push_back(s);
    } else if (is_letter(c.cp) || is_number(c.cp)) {
      append_utf8(word, c.cp);
    } else {
      flush();  // whitespace and punctuation separate words
    }
  }
  flush();
  return out;
}

double token_f1(const std::string& answer, const std::string& reference) {
  auto a = metric_tokens(answer), r = metric_tokens(reference);
  std::map<std::string, int> counts;
  for (const auto& t : r) ++counts[t];
  double overlap = 0;
  for (const auto& t : a)
    if (counts[t]-- > 0) ++overlap;
  return f_measure(overlap, a.size(), r.size());
}

double rouge_l(const std::string& answer, const std::string& reference) {
  auto a = metric_tokens(answer), r = metric_tokens(reference);
  std::vector<std::size_t> prev(r.size() + 1, 0), cur(r.size() + 1, 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= r.size(); ++j)
      cur[j] = a[i - 1] == r[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
    std::swap(prev, cur);
  }
  return f_measure(double(prev[r.size()]), a.size(), r.size());
}

}  // namespace chosei
