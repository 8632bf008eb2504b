#pragma once
// The filter engine: every pattern of a direction in one RE2::Set, one pass per text over
// the normalized text; per-rule RE2 searches only for the rules the set reports, to get
// spans; validators on each candidate span; spans mapped back to the original text.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "filters/rule_pack.h"
#include "filters/text_normalizer.h"

namespace chosei {

enum class FilterDecision { kAllow, kRedact, kBlock };
const char* to_string(FilterDecision d);

struct FilterMatch {
  std::string rule, category;
  FilterAction action = FilterAction::kFlag;
  std::size_t start = 0, end = 0;            // code points in the (valid UTF-8) original
  std::size_t byte_start = 0, byte_end = 0;  // bytes in the original
  std::string text;                          // the original text of the span
  std::size_t norm_start = 0, norm_end = 0;  // bytes in the normalized text
  // The regex candidate the match was cut from (normalized bytes): a recognizer's result
  // depends on the whole candidate, so a stream releases none of it before it is complete.
  std::size_t candidate_start = 0, candidate_end = 0;
  std::string replacement;  // what redaction puts in its place
};

struct FilterResult {
  FilterDecision decision = FilterDecision::kAllow;
  std::vector<FilterMatch> matches;  // by byte_start, longest first, then rule
  std::string redacted;              // the text with redact (and block) spans replaced; valid UTF-8
};

class FilterEngine {
 public:
  // Compiles every pattern once and (unless told not to) checks every rule's examples.
  // Throws RulePackError naming the pack, rule and pattern (or example) at fault.
  explicit FilterEngine(std::vector<RulePack> packs, bool verify_examples = true);
  ~FilterEngine();
  FilterEngine(FilterEngine&&) noexcept;

  // Invalid UTF-8 in `text` is replaced by U+FFFD first; offsets refer to that text.
  FilterResult check(std::string_view text, FilterDirection direction) const;
  // Matches in normalized text `norm` (of valid UTF-8 `original`) that start at or after
  // normalized byte `from`; the bytes before `from` are context for \b. For the streaming
  // filter, which feeds the text piece by piece.
  std::vector<FilterMatch> find(std::string_view original, const NormalizedText& norm,
                                std::size_t from, FilterDirection direction) const;
  // The longest match any rule of `direction` can make, in normalized bytes (rules'
  // max_length; longer matches are not reported, so pieces and whole texts agree).
  std::size_t longest_match(FilterDirection direction) const;
  // Where in normalized text `norm` (so far) a match of some `direction` rule could still be
  // in progress: the text before this offset can be released by a streaming filter.
  std::size_t hold_from(std::string_view norm, FilterDirection direction) const;

  const std::vector<FilterRule>& rules() const;

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
};

// The decision and redacted text that `matches` imply for `text`.
FilterResult decide(std::string_view text, std::vector<FilterMatch> matches);

}  // namespace chosei
