#pragma once
// TextStream: turns generated token ids into text released piece by piece for streaming.
// It holds back an incomplete UTF-8 character and any tail that could still become a stop
// string, and reports the stop once one appears; the released text never contains it.

#include <string>
#include <vector>

#include "model/tokenizer.h"

namespace chosei {

class TextStream {
 public:
  TextStream(const Tokenizer& tokenizer, std::vector<std::string> stop_strings);
  // Adds a token; returns the newly releasable text (possibly empty).
  std::string push(TokenId id);
  // Releases whatever is held back (end of generation).
  std::string finish();
  bool stopped() const { return stopped_; }
  const std::string& text() const { return released_; }

 private:
  const Tokenizer& tokenizer_;
  std::vector<std::string> stops_;
  std::vector<TokenId> ids_;
  std::string released_;
  std::string pending_;  // decoded but not yet released
  bool stopped_ = false;
};

}  // namespace chosei
