#pragma once
// TokenConstraint: what a row of the generation loop may emit next (constrained decoding,
// e.g. JSON). The loop samples freely and asks allows(); only when the token is refused (or
// log-probabilities must describe the constrained distribution) it asks for the whole mask
// and samples again from it. Both answers know how many tokens the row has left, so a
// constraint can steer to a finished output before the budget runs out.

#include <cstdint>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace chosei {

class TokenConstraint {
 public:
  virtual ~TokenConstraint() = default;
  // Whether `id` may come next with `tokens_left` tokens to go (it included).
  virtual bool allows(TokenId id, std::int64_t tokens_left) = 0;
  // Sets mask[id] = 1 for every such token (mask has the vocabulary's size, zeroed).
  // Returns false when no token is allowed.
  virtual bool fill_mask(std::vector<char>& mask, std::int64_t tokens_left) = 0;
  // Takes the chosen token.
  virtual void accept(TokenId id) = 0;
  // The output is complete and nothing may follow: the row ends ("stop").
  virtual bool finished() const = 0;
};

}  // namespace chosei
