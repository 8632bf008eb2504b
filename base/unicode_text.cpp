#include "base/unicode_text.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace chosei {

namespace {

// Length of the valid UTF-8 sequence starting at p (remaining n bytes), or 0 if invalid.
std::size_t valid_sequence_length(const unsigned char* p, std::size_t n, char32_t* cp) {
  unsigned char c = p[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  std::size_t len;
  char32_t value, min;
  if ((c & 0xE0) == 0xC0)
    len = 2, value = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0)
    len = 3, value = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0)
    len = 4, value = c & 0x07, min = 0x10000;
  else
    return 0;
  if (n < len) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    value = (value << 6) | (p[i] & 0x3F);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  *cp = value;
  return len;
}

std::string utf8proc_apply(std::string_view text, int options) {
  utf8proc_uint8_t* out = nullptr;
  auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                        static_cast<utf8proc_ssize_t>(text.size()), &out,
                        static_cast<utf8proc_option_t>(options));
  if (n < 0)
    throw std::invalid_argument(std::string("unicode normalization failed: ") + utf8proc_errmsg(n));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> holder(out, &std::free);
  return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
}

}  // namespace

std::vector<CodePoint> decode_utf8(std::string_view text) {
  std::vector<CodePoint> out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t i = 0;
  while (i < text.size()) {
    char32_t cp;
    std::size_t len = valid_sequence_length(p + i, text.size() - i, &cp);
    if (len == 0) cp = 0xFFFD, len = 1;
    out.push_back({cp, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(len)});
    i += len;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp;
    auto len = valid_sequence_length(p + i, text.size() - i, &cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string utf8_lossy(std::string_view bytes) {
  if (is_valid_utf8(bytes)) return std::string(bytes);
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t i = 0;
  while (i < bytes.size()) {
    char32_t cp;
    auto len = valid_sequence_length(p + i, bytes.size() - i, &cp);
    if (len) {
      out.append(bytes.substr(i, len));
      i += len;
      continue;
    }
    // A maximal prefix of a valid sequence counts as one error (WHATWG / Rust semantics).
    std::size_t skip = 1;
    unsigned char c = p[i];
    std::size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    if (need > 1 && c >= 0xC2 && c <= 0xF4) {
      while (skip < need && i + skip < bytes.size() && (p[i + skip] & 0xC0) == 0x80) {
        unsigned char b = p[i + skip];
        if (skip == 1 && ((c == 0xE0 && b < 0xA0) || (c == 0xED && b > 0x9F) ||
                          (c == 0xF0 && b < 0x90) || (c == 0xF4 && b > 0x8F)))
          break;
        ++skip;
      }
    }
    append_utf8(out, 0xFFFD);
    i += skip;
  }
  return out;
}

std::size_t complete_utf8_prefix(std::string_view bytes) {
  // Walk back over at most 3 continuation bytes to the last lead byte.
  std::size_t n = bytes.size();
  for (std::size_t back = 1; back <= 4 && back <= n; ++back) {
    unsigned char c = static_cast<unsigned char>(bytes[n - back]);
    if ((c & 0xC0) == 0x80) continue;
    std::size_t need = c < 0x80             ? 1
                       : (c & 0xE0) == 0xC0 ? 2
                       : (c & 0xF0) == 0xE0 ? 3
                       : (c & 0xF8) == 0xF0 ? 4
                                            : 1;
    return back >= need ? n : n - back;
  }
  return n;
}

bool is_letter(char32_t cp) {
  auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

namespace {

bool is_mark_or_uncased_letter(utf8proc_category_t cat) {
  return cat == UTF8PROC_CATEGORY_LM || cat == UTF8PROC_CATEGORY_LO ||
         cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME;
}

}  // namespace

bool is_word_head(char32_t cp) {
  auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT ||
         is_mark_or_uncased_letter(cat);
}

bool is_word_tail(char32_t cp) {
  auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat == UTF8PROC_CATEGORY_LL || is_mark_or_uncased_letter(cat);
}

bool is_number(char32_t cp) {
  auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO;
}

bool is_whitespace(char32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::string normalize_nfc(std::string_view t) {
  return utf8proc_apply(t, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
}
std::string normalize_nfkc(std::string_view t) {
  return utf8proc_apply(t, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
}
std::string normalize_nfd(std::string_view t) {
  return utf8proc_apply(t, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
}
std::string normalize_nfkd(std::string_view t) {
  return utf8proc_apply(t, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
}
std::string to_lower(std::string_view text) {
  std::string out;
  for (const auto& c : decode_utf8(text))
    append_utf8(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c.cp))));
  return out;
}

std::string to_upper(std::string_view text) {
  std::string out;
  for (const auto& c : decode_utf8(text))
    append_utf8(out, static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(c.cp))));
  return out;
}

}  // namespace chosei
