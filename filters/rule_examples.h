#pragma once
// Every rule's examples checked against a compiled engine: each "match" example must make
// that rule match, each "no_match" example must not.

#include <string>
#include <vector>

namespace chosei {

class FilterEngine;

struct RuleExampleReport {
  std::string pack, rule;
  std::size_t passed = 0, total = 0;
  std::vector<std::string> failures;  // "example \"...\" must match but does not"
};

std::vector<RuleExampleReport> check_rule_examples(const FilterEngine& engine);

}  // namespace chosei
