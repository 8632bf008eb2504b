#pragma once
// Filters generated text as it streams: takes chunks as they come, holds back only the
// tail where a match could still be growing (FilterEngine::hold_from: within each rule's
// longest match, from the first byte that could begin one), releases the rest with
// redactions applied, and stops the stream on a block.
// Classifier rules check the text at their checkpoints (every N bytes, and the end); text
// past the last checkpoint every such rule has passed is held back until they have.
// Fed the same text in any chunking, it releases the same text and reaches the same
// decision as FilterEngine::check on the whole.

#include <string>
#include <string_view>
#include <vector>

#include "filters/filter_engine.h"

namespace chosei {

class StreamFilter {
 public:
  // `context`: the prompt the streamed text answers (for classifier rules; may be empty).
  StreamFilter(const FilterEngine& engine, FilterDirection direction = FilterDirection::kOutput,
               std::string_view context = {});

  // Adds a chunk (any bytes; a UTF-8 sequence may be split across chunks) and returns the
  // text now safe to send. Returns "" once blocked.
  std::string push(std::string_view chunk);
  // The end of the stream: releases what was held back.
  std::string finish();

  bool blocked() const { return decision_ == FilterDecision::kBlock; }
  FilterDecision decision() const { return decision_; }
  // Every match released so far (offsets into the whole stream's text).
  const std::vector<FilterMatch>& matches() const { return matches_; }
  // Bytes received but not yet released.
  std::size_t held_back() const { return text_.size() + partial_.size() - released_; }

 private:
  std::string release(bool at_end);
  void absorb(std::vector<FilterMatch> classifier_matches);

  const FilterEngine& engine_;
  FilterDirection direction_;
  std::string text_;     // every complete code point received (valid UTF-8)
  std::string partial_;  // the bytes of an incomplete trailing UTF-8 sequence
  NormalizedText norm_;  // normalization of text_
  std::size_t released_ = 0, norm_released_ = 0;
  FilterDecision decision_ = FilterDecision::kAllow;
  std::vector<FilterMatch> matches_;
  ClassifierProgress progress_;  // the context and the classifier rules' checkpoints so far
};

}  // namespace chosei
