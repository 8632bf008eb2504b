#pragma once
// What confirms a regex candidate of a rule and where exactly the match lies inside it:
// nothing (the whole candidate), a checksum validator (the whole candidate or nothing), or
// a recognizer built on a specification that cuts the candidate to what it recognizes
// (a card number of an issuer's length, an IBAN of its country's length, the phone numbers
// libphonenumber finds).

#include <functional>
#include <string_view>
#include <vector>

#include "filters/phone_recognizer.h"
#include "filters/rule_pack.h"

namespace chosei {

struct SpanRecognizer {
  // Spans inside a candidate, offsets relative to it, in order, none empty.
  std::function<std::vector<TextSpan>(std::string_view candidate)> find;
  // Whether a candidate must begin a run of digits: one that continues a run (a digit, or a
  // digit and a separator, just before it) is the tail of some longer number, as the tail
  // of a date or of a 16-digit group is, not a card or a phone number of its own.
  bool whole_runs = false;
};

// Throws RulePackError naming the rule when its recognizer settings are bad.
SpanRecognizer make_span_recognizer(const FilterRule& rule);

// How much a match of `rule` says by itself: a checksum (2) over a format check such as a
// phone numbering plan (1) over a pattern alone (0). Where two rules of one category claim
// the same span, the higher names it.
int match_specificity(const FilterRule& rule);

}  // namespace chosei
