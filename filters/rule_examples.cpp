#include "filters/rule_examples.h"

#include <re2/re2.h>

#include "filters/filter_engine.h"

namespace chosei {

std::vector<RuleExampleReport> check_rule_examples(const FilterEngine& engine) {
  std::vector<RuleExampleReport> reports;
  for (const auto& rule : engine.rules()) {
    const auto dir = rule.input ? FilterDirection::kInput : FilterDirection::kOutput;
    auto hits = [&](const std::string& example) {
      for (const auto& m : engine.check(example, dir).matches)
        if (m.rule == rule.id) return true;
      return false;
    };
    // A streaming filter relies on the declared alphabet: every byte of a match must be in it.
    auto outside_alphabet = [&](const std::string& example) -> std::string {
      if (rule.alphabet.empty()) return "";
      RE2 alphabet(rule.alphabet);
      const auto norm = normalize_for_matching(to_valid_utf8(example));
      for (const auto& m : engine.check(example, dir).matches)
        if (m.rule == rule.id)
          for (std::size_t i = m.norm_start; i < m.norm_end; ++i)
            if (!RE2::FullMatch(norm.text.substr(i, 1), alphabet)) return norm.text.substr(i, 1);
      return "";
    };
    RuleExampleReport r{rule.pack, rule.id, 0, 0, {}};
    auto expect = [&](const std::string& example, bool should_match) {
      ++r.total;
      if (hits(example) == should_match) {
        ++r.passed;
      } else {
        r.failures.push_back("example \"" + example + "\" must " +
                             (should_match ? "match but does not" : "not match but does"));
      }
    };
    for (const auto& e : rule.must_match) {
      expect(e, true);
      const auto bad = outside_alphabet(e);
      if (!bad.empty())
        r.failures.push_back("example \"" + e + "\" matches \"" + bad +
                             "\", which is outside the rule's alphabet");
    }
    for (const auto& e : rule.must_not_match) expect(e, false);
    reports.push_back(std::move(r));
  }
  return reports;
}

}  // namespace chosei
