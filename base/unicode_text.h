#pragma once
// UTF-8 helpers shared by the tokenizers: decoding to code points with byte offsets,
// Unicode categories (via utf8proc), and lossy repair of invalid byte sequences.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chosei {

struct CodePoint {
  char32_t cp;
  std::uint32_t offset;  // byte offset of its first byte
  std::uint32_t length;  // bytes, 1..4; an invalid byte decodes as U+FFFD of length 1
};

std::vector<CodePoint> decode_utf8(std::string_view text);
void append_utf8(std::string& out, char32_t cp);
bool is_valid_utf8(std::string_view text);
// Replaces each maximal invalid subsequence with U+FFFD, as Rust's from_utf8_lossy does.
std::string utf8_lossy(std::string_view bytes);
// Length of the longest prefix of `bytes` that ends on a complete UTF-8 character.
std::size_t complete_utf8_prefix(std::string_view bytes);

bool is_letter(char32_t cp);      // \p{L}
bool is_number(char32_t cp);      // \p{N}
bool is_whitespace(char32_t cp);  // \s: the Unicode White_Space property
// o200k's word classes (GPT-4o, Phi-4): [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], the letters that may
// open a word, and [\p{Ll}\p{Lm}\p{Lo}\p{M}], those that may continue it.
bool is_word_head(char32_t cp);
bool is_word_tail(char32_t cp);

// Unicode normalization forms through utf8proc; input must be valid UTF-8.
std::string normalize_nfc(std::string_view text);
std::string normalize_nfkc(std::string_view text);
std::string normalize_nfd(std::string_view text);
std::string normalize_nfkd(std::string_view text);
std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);  // per code point, as str.upper() mostly does

}  // namespace chosei
