#include "filters/span_recognizer.h"

#include <memory>
#include <stdexcept>

#include "filters/card_issuers.h"
#include "filters/iban_registry.h"
#include "filters/validators.h"

namespace chosei {

namespace {

SpanRecognizer prefix_recognizer(std::size_t (*prefix_length)(std::string_view)) {
  return {[prefix_length](std::string_view c) {
            const std::size_t n = prefix_length(c);
            return n ? std::vector<TextSpan>{{0, n}} : std::vector<TextSpan>{};
          },
          false};
}

}  // namespace

SpanRecognizer make_span_recognizer(const FilterRule& rule) {
  const auto& v = rule.validator;
  if (v.empty())
    return {[](std::string_view c) { return std::vector<TextSpan>{{0, c.size()}}; }, false};
  if (v == "payment_card") {
    auto r = prefix_recognizer(card_prefix_length);
    r.whole_runs = true;
    return r;
  }
  if (v == "iban") return prefix_recognizer(iban_prefix_length);
  if (v == "phone_number") {
    std::shared_ptr<const PhoneRecognizer> phones;
    try {
      phones = std::make_shared<PhoneRecognizer>(rule.regions, rule.leniency);
    } catch (const std::invalid_argument& e) {
      throw RulePackError("pack " + rule.pack + ", rule " + rule.id + ": " + e.what());
    }
    return {[phones](std::string_view c) { return phones->find(c); }, true};
  }
  // Identity numbers and card checksums are checked on a whole run of digits too.
  const bool whole_runs = v == "luhn" || v == "jp_my_number" || v == "us_ssn";
  return {
      [v](std::string_view c) {
        return run_validator(v, c) ? std::vector<TextSpan>{{0, c.size()}} : std::vector<TextSpan>{};
      },
      whole_runs};
}

int match_specificity(const FilterRule& rule) {
  if (rule.validator.empty()) return 0;
  return rule.validator == "phone_number" ? 1 : 2;
}

}  // namespace chosei
