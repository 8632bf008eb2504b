#pragma once
// TextStream: turns generated token ids into text released piece by piece for streaming.
// It holds back an incomplete UTF-8 character and any tail that could still become a stop
// string, and reports the stop once one appears; the released text never contains it.

#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace chosei {

class TextStream {
 public:
  // `context` is the end of the prompt: the generated text is decoded after it, so
  // tokenizers that strip a leading space at the start of a text (SentencePiece) keep the
  // space between the prompt and its continuation.
  TextStream(const Tokenizer& tokenizer, std::vector<std::string> stop_strings,
             std::vector<TokenId> context = {});
  // Adds a token; returns the newly releasable text (possibly empty).
  std::string push(TokenId id);
  // Releases whatever is held back (end of generation).
  std::string finish();
  bool stopped() const { return stopped_; }
  const std::string& text() const { return released_; }

 private:
  const Tokenizer& tokenizer_;
  std::vector<std::string> stops_;
  std::string decode_fresh() const;  // text after the context
  std::vector<TokenId> ids_;         // context + generated
  std::string context_text_;
  std::string released_;
  bool stopped_ = false;
};

}  // namespace chosei
