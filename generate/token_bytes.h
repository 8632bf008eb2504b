#pragma once
// TokenBytes: the bytes each token adds to the text when it follows other text, which is
// what a byte-level constraint must check (a token's vocabulary spelling is not: "▁the",
// "Ġthe", "<0x0A>"). Special tokens and tokens whose bytes cannot be told add nothing and
// are marked unusable.

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace chosei {

class TokenBytes {
 public:
  explicit TokenBytes(const Tokenizer& tokenizer);
  const std::string& of(TokenId id) const { return bytes_[static_cast<std::size_t>(id)]; }
  bool usable(TokenId id) const { return usable_[static_cast<std::size_t>(id)] != 0; }
  std::int64_t size() const { return static_cast<std::int64_t>(bytes_.size()); }

 private:
  std::vector<std::string> bytes_;
  std::vector<char> usable_;
};

}  // namespace chosei
