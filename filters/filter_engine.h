#pragma once
// The filter engine: every pattern of a direction in one RE2::Set, one pass per text over
// the normalized text; per-rule RE2 searches only for the rules the set reports, to get
// spans; validators on each candidate span; spans mapped back to the original text.

#include <cstdint>
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
  double score = -1;        // a classifier rule's probability for `category` (-1: a pattern rule)
};

struct FilterResult {
  FilterDecision decision = FilterDecision::kAllow;
  std::vector<FilterMatch> matches;  // by byte_start, longest first, then rule
  std::string redacted;              // the text with redact (and block) spans replaced; valid UTF-8
};

// How far the classifier rules of one direction have checked a growing text (a stream):
// each rule checks the text at every `check_every` bytes (cut back to a code point
// boundary) and at its end, so the whole text and any chunking of it see the same checks.
struct ClassifierProgress {
  // What an answer answers (the user's last message; empty: judged alone). A model trained on
  // {"messages"} judges the answer in the conversation, the way Llama Guard does.
  std::string context;
  std::vector<std::size_t> next;   // per classifier rule: the next checkpoint index
  std::vector<std::string> fired;  // "rule/label" already reported
  bool stopped = false;            // a block was found
  bool finished = false;           // the end was checked
};

// Time spent in classifier rules (for /metrics).
struct ClassifierTiming {
  std::uint64_t calls = 0;
  double seconds = 0;
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
  // The same, with `context`: the prompt the text answers (for classifier rules).
  FilterResult check(std::string_view text, FilterDirection direction,
                     std::string_view context) const;
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

  // Classifier matches due on `text` (valid UTF-8, grown since the last call with the same
  // `progress`): every checkpoint now reachable, and the end when `at_end`. A match spans
  // the text up to its checkpoint.
  std::vector<FilterMatch> classify(std::string_view text, bool at_end, FilterDirection direction,
                                    ClassifierProgress& progress) const;
  // The bytes of a growing `text` every classifier rule of `direction` has checked (text.size()
  // when there are none): a stream releases nothing beyond it before the end.
  std::size_t classified_prefix(std::string_view text, FilterDirection direction,
                                const ClassifierProgress& progress) const;
  bool has_classifiers(FilterDirection direction) const;
  ClassifierTiming classifier_timing() const;

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
};

// The decision and redacted text that `matches` imply for `text`.
FilterResult decide(std::string_view text, std::vector<FilterMatch> matches);

}  // namespace chosei
