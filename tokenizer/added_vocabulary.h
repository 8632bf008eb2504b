#pragma once
// AddedVocabulary: the "added_tokens" of a tokenizer.json (special tokens such as <s> or
// <|im_start|>, and user-added words). Before normalization the input is cut at every
// occurrence of an added token, leftmost-longest first, as HF tokenizers does; the pieces
// between are encoded by the model.

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace chosei {

struct AddedToken {
  TokenId id = -1;
  std::string content;
  bool special = false;
  bool lstrip = false;  // absorbs whitespace on its left
  bool rstrip = false;  // absorbs whitespace on its right
  bool single_word = false;
};

class AddedVocabulary {
 public:
  struct Piece {
    std::string_view text;  // ordinary text when id < 0
    TokenId id = -1;        // the matched added token otherwise
  };

  void add(AddedToken token);
  // Cuts `text` at added tokens. `text` must outlive the pieces.
  std::vector<Piece> split(std::string_view text) const;

  const AddedToken* find(TokenId id) const;
  TokenId find(const std::string& content) const;  // -1 when absent
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // The longest token matching at byte `pos`, or nullptr; `end` receives the end of the
  // match including absorbed whitespace, `start` the beginning including lstrip.
  const AddedToken* match_at(std::string_view text, std::size_t pos) const;
  std::vector<AddedToken> tokens_;
  std::unordered_map<TokenId, std::size_t> by_id_;
  std::unordered_map<unsigned char, std::vector<std::size_t>> by_first_byte_;
};

}  // namespace chosei
