#include "filters/text_normalizer.h"

#include <utf8proc.h>

#include <array>
#include <unordered_map>

namespace chosei {

namespace {

constexpr utf8proc_option_t kOptions = static_cast<utf8proc_option_t>(
    UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);

// Letters that render like Latin ones and are used to dodge word filters (a subset of
// Unicode's confusables.txt: the Cyrillic and Greek lower-case look-alikes, after folding).
const std::unordered_map<utf8proc_int32_t, char>& confusables() {
  static const std::unordered_map<utf8proc_int32_t, char> map = {
      {0x0430, 'a'}, {0x0432, 'b'}, {0x0435, 'e'}, {0x0451, 'e'}, {0x043A, 'k'}, {0x043C, 'm'},
      {0x043D, 'h'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0442, 't'}, {0x0443, 'y'},
      {0x0445, 'x'}, {0x0456, 'i'}, {0x0458, 'j'}, {0x0455, 's'}, {0x0501, 'd'}, {0x04BB, 'h'},
      {0x0261, 'g'}, {0x03BF, 'o'}, {0x03B1, 'a'}, {0x03BD, 'v'}, {0x03C1, 'p'}, {0x03C4, 't'},
      {0x03B9, 'i'}, {0x03BA, 'k'}, {0x03C5, 'u'}, {0x03F2, 'c'}, {0x0391, 'a'}, {0x0392, 'b'},
      {0x0395, 'e'}, {0x0397, 'h'}, {0x039A, 'k'}, {0x039C, 'm'}, {0x039D, 'n'}, {0x039F, 'o'},
      {0x03A1, 'p'}, {0x03A4, 't'}, {0x03A7, 'x'}, {0x03A5, 'y'}, {0x0399, 'i'}, {0x0396, 'z'},
  };
  return map;
}

// Marks that attach to the previous code point: combining classes above zero, and the
// half-width katakana voicing marks (class 0, but NFKC turns them into combining ones).
bool attaches_to_previous(utf8proc_int32_t cp) {
  return cp == 0xFF9E || cp == 0xFF9F || utf8proc_get_property(cp)->combining_class != 0;
}

std::size_t decode(std::string_view s, std::size_t i, utf8proc_int32_t* cp) {
  auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                            static_cast<utf8proc_ssize_t>(s.size() - i), cp);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

bool mark_follows(std::string_view s, std::size_t j) {
  utf8proc_int32_t cp = 0;
  return j < s.size() && static_cast<unsigned char>(s[j]) >= 0x80 && decode(s, j, &cp) &&
         attaches_to_previous(cp);
}

void append_cluster(std::string_view cluster, SourceSpan span, NormalizedText* out) {
  std::array<utf8proc_int32_t, 64> buf;
  auto n = utf8proc_decompose(reinterpret_cast<const utf8proc_uint8_t*>(cluster.data()),
                              static_cast<utf8proc_ssize_t>(cluster.size()), buf.data(), buf.size(),
                              kOptions);
  if (n < 0 || n > static_cast<utf8proc_ssize_t>(buf.size())) {  // absurdly long cluster
    out->text.append(cluster);
    out->source.insert(out->source.end(), cluster.size(), span);
    return;
  }
  n = utf8proc_normalize_utf32(buf.data(), n, kOptions);
  for (utf8proc_ssize_t k = 0; k < n; ++k) {
    auto it = confusables().find(buf[k]);
    utf8proc_uint8_t bytes[4];
    std::size_t len = 1;
    if (it != confusables().end())
      bytes[0] = static_cast<utf8proc_uint8_t>(it->second);
    else
      len = static_cast<std::size_t>(utf8proc_encode_char(buf[k], bytes));
    out->text.append(reinterpret_cast<const char*>(bytes), len);
    out->source.insert(out->source.end(), len, span);
  }
}

}  // namespace

SourceSpan NormalizedText::original_span(std::size_t begin, std::size_t end) const {
  if (begin >= end || end > source.size()) return {};
  return {source[begin].begin, source[end - 1].end};
}

NormalizedText normalize_for_matching(std::string_view s) {
  NormalizedText out;
  out.text.reserve(s.size());
  out.source.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80 && !mark_follows(s, i + 1)) {  // plain ASCII: fold case in place
      out.text.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
      out.source.push_back({i, i + 1});
      ++i;
      continue;
    }
    std::size_t end = i;
    utf8proc_int32_t cp = 0;
    std::size_t n = decode(s, end, &cp);
    if (n == 0) n = 1;  // invalid byte: its own cluster (callers pass valid UTF-8)
    end += n;
    while (end < s.size()) {
      std::size_t m = decode(s, end, &cp);
      if (m == 0 || !attaches_to_previous(cp)) break;
      end += m;
    }
    append_cluster(s.substr(i, end - i), {i, end}, &out);
    i = end;
  }
  return out;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    utf8proc_int32_t cp;
    std::size_t n = decode(s, i, &cp);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::size_t code_point_offset(std::string_view text, std::size_t byte_offset) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < byte_offset && i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace chosei
