#include "tokenizer/byte_level.h"

#include <unordered_map>

#include "base/unicode_text.h"

namespace chosei {

namespace {

struct ByteMap {
  std::array<std::string, 256> to_char;
  std::unordered_map<char32_t, unsigned char> to_byte;
  ByteMap() {
    // bytes_to_unicode() from openai/gpt-2 encoder.py.
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next++);
      append_utf8(to_char[b], cp);
      to_byte[cp] = static_cast<unsigned char>(b);
    }
  }
};

const ByteMap& byte_map() {
  static const ByteMap map;
  return map;
}

}  // namespace

const std::string& byte_to_char(unsigned char byte) { return byte_map().to_char[byte]; }

std::string bytes_to_chars(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += byte_map().to_char[b];
  return out;
}

bool chars_to_bytes(std::string_view chars, std::string* bytes) {
  const auto& map = byte_map().to_byte;
  for (const auto& c : decode_utf8(chars)) {
    auto it = map.find(c.cp);
    if (it == map.end()) return false;
    bytes->push_back(static_cast<char>(it->second));
  }
  return true;
}

}  // namespace chosei
