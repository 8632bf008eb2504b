#pragma once
// GPT-2's reversible byte-to-character map: every byte becomes a printable Unicode
// character (printable ASCII and Latin-1 map to themselves, the rest to U+0100 onward), so
// byte-level BPE vocabularies can be stored as JSON strings.

#include <array>
#include <string>
#include <string_view>

namespace chosei {

// The UTF-8 encoding of the character standing for `byte`.
const std::string& byte_to_char(unsigned char byte);
// Maps every byte of `bytes`.
std::string bytes_to_chars(std::string_view bytes);
// Inverse of bytes_to_chars; returns false when `chars` holds a character outside the map.
bool chars_to_bytes(std::string_view chars, std::string* bytes);

}  // namespace chosei
