#include "generate/vocabulary_trie.h"

namespace chosei {

VocabularyTrie::VocabularyTrie(const TokenBytes& bytes) : nodes_(1) {
  for (TokenId id = 0; id < bytes.size(); ++id) {
    if (!bytes.usable(id)) continue;
    std::int32_t at = kRoot;
    for (unsigned char b : bytes.of(id)) {
      std::int32_t next = -1;
      for (const auto& [c, child] : nodes_[at].children)
        if (c == b) next = child;
      if (next < 0) {
        next = static_cast<std::int32_t>(nodes_.size());
        nodes_[at].children.emplace_back(b, next);
        nodes_.emplace_back();
      }
      at = next;
    }
    nodes_[at].tokens.push_back(id);
  }
}

}  // namespace chosei
