#pragma once
// A rule pack: named filter rules read from JSON. Each rule has an id, a category, RE2
// patterns (matched against normalized text: lower case, NFKC), an optional checksum
// validator, an action and the direction it applies to, plus examples that must and must
// not match (checked when the pack is loaded into an engine and by `chosei filter test`).
//
// A classifier rule: {"id": "harmful_request", "type": "classifier", "model": "safety-small",
//   "applies_to": "input", "categories": {"harmful_request": "block",
//   "violence": {"action": "flag", "threshold": 0.8}}, "threshold": 0.5, "check_every": 256}
//
// {"name": "pii", "rules": [{"id": "email", "category": "pii", "description": "...",
//   "patterns": ["..."], "validator": "luhn", "action": "redact", "redact_with": "[EMAIL]",
//   "applies_to": "both", "severity": "high", "max_length": 254,
//   "regions": ["US", "JP"], "leniency": "possible",  (validator "phone_number" only)
//   "alphabet": "[a-z0-9._%+@-]", "first": "[a-z0-9._%+-]",
//   "examples": {"match": ["..."], "no_match": ["..."]}}]}

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace chosei {

enum class FilterAction { kFlag, kRedact, kBlock };
enum class FilterDirection { kInput, kOutput };

const char* to_string(FilterAction a);
const char* to_string(FilterDirection d);
FilterDirection parse_filter_direction(const std::string& s);

// One category a classifier rule acts on: the model's label, the action when its
// probability reaches the threshold (the rule's, else the one saved with the model).
struct ClassifierCategory {
  std::string label;
  FilterAction action = FilterAction::kBlock;
  double threshold = -1;  // < 0: the model's
};

struct FilterRule {
  std::string id, category, description;
  // "pattern" (RE2 patterns and validators) or "classifier" (a learned model, below).
  bool is_classifier = false;
  // Classifier rules: the model directory (relative paths are relative to the pack's
  // folder; built-in packs' to the built-in model folder), what each label does, and how
  // often a growing text (a streamed answer) is checked: at every `check_every` bytes of it
  // and at its end. 0: at the end only.
  std::string model_dir;
  std::vector<ClassifierCategory> categories;
  std::size_t check_every = 0;
  std::vector<std::string> patterns;
  std::string validator;  // empty: none
  // For validator "phone_number": the regions whose national formats count (ISO 3166-1
  // alpha-2) and libphonenumber's leniency (possible, valid, strict_grouping, exact_grouping).
  std::vector<std::string> regions;
  std::string leniency = "valid";
  FilterAction action = FilterAction::kFlag;
  std::string redact_with;
  bool input = true, output = true;
  std::string severity = "medium";
  // Longest match in bytes of normalized text; bounds what a streaming filter holds back.
  std::size_t max_length = 256;
  // Optional RE2 character classes (ASCII) for streaming: every byte of a match is in
  // `alphabet`, its first byte in `first`. A stream then holds back only a tail that could
  // still become a match (say, the last word for an email) instead of max_length bytes.
  // Checked against the rule's examples at load.
  std::string alphabet, first;
  std::vector<std::string> must_match, must_not_match;
  std::string pack;  // the pack it came from

  bool applies(FilterDirection d) const { return d == FilterDirection::kInput ? input : output; }
};

struct RulePack {
  std::string name;
  std::vector<FilterRule> rules;
};

// An error in a pack, naming the pack, rule and field or pattern.
class RulePackError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// `origin` names the pack in errors (a file path or "builtin:NAME").
// `model_base`: the folder relative classifier model paths start from.
RulePack parse_rule_pack(const std::string& json_text, const std::string& origin,
                         const std::string& model_base = ".");
// Where built-in packs' classifier models live: $CHOSEI_FILTER_MODELS, else the source
// tree's filters/models.
std::string builtin_model_dir();
// A built-in pack name (pii, secrets, prompt_injection, harmful, profanity, safety) or a
// JSON file (or a folder holding pack.json and the models it names).
RulePack load_rule_pack(const std::string& name_or_file);
std::vector<RulePack> load_builtin_packs();
// The built-in packs made of patterns only (no model to load).
const std::vector<std::string>& builtin_pattern_pack_names();
// The packs used when none are named: the pattern packs. The `safety` classifier pack is
// opt-in (--pack safety) until safety-small meets its over-refusal bar on XSTest
// (filters/models/safety-small/heldout.json records where it stands).
const std::vector<std::string>& default_pack_names();
// Each named pack (built-in name, file or folder); default_pack_names() when `names` is empty.
std::vector<RulePack> load_rule_packs(const std::vector<std::string>& names);
const std::vector<std::string>& builtin_pack_names();

}  // namespace chosei
