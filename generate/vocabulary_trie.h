#pragma once
// VocabularyTrie: the usable tokens' bytes in a byte trie, so a constraint walks the
// vocabulary once per step and a byte shared by many tokens is checked once.

#include <cstdint>
#include <vector>

#include "generate/token_bytes.h"

namespace chosei {

class VocabularyTrie {
 public:
  struct Node {
    std::vector<std::pair<unsigned char, std::int32_t>> children;
    std::vector<TokenId> tokens;  // tokens whose bytes end here
  };
  explicit VocabularyTrie(const TokenBytes& bytes);
  const Node& node(std::int32_t id) const { return nodes_[static_cast<std::size_t>(id)]; }
  static constexpr std::int32_t kRoot = 0;

 private:
  std::vector<Node> nodes_;
};

}  // namespace chosei
