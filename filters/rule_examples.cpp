#include "filters/rule_examples.h"

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
    for (const auto& e : rule.must_match) expect(e, true);
    for (const auto& e : rule.must_not_match) expect(e, false);
    reports.push_back(std::move(r));
  }
  return reports;
}

}  // namespace chosei
