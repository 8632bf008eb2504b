#include "filters/rule_pack.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "filters/builtin_packs.h"
#include "filters/validators.h"

namespace chosei {

namespace {

using json = nlohmann::json;

struct RuleReader {
  const std::string& pack;
  const std::string& rule;
  const json& j;

  [[noreturn]] void fail(const std::string& field, const std::string& why) const {
    throw RulePackError("pack " + pack + ", rule " + (rule.empty() ? "?" : rule) + ", field \"" +
                        field + "\": " + why);
  }
  std::string string(const std::string& field, const std::string& fallback,
                     bool required = false) const {
    if (!j.contains(field)) {
      if (required) fail(field, "missing");
      return fallback;
    }
    if (!j[field].is_string()) fail(field, "must be a string");
    return j[field].get<std::string>();
  }
  std::vector<std::string> strings(const json& v, const std::string& field) const {
    if (!v.is_array()) fail(field, "must be an array of strings");
    std::vector<std::string> out;
    for (const auto& s : v) {
      if (!s.is_string()) fail(field, "must be an array of strings");
      out.push_back(s.get<std::string>());
    }
    return out;
  }
};

FilterAction parse_action(const RuleReader& r) {
  const auto a = r.string("action", "", true);
  if (a == "block") return FilterAction::kBlock;
  if (a == "redact") return FilterAction::kRedact;
  if (a == "flag") return FilterAction::kFlag;
  r.fail("action", "\"" + a + "\" is not block, redact or flag");
}

void parse_examples(const RuleReader& r, const json& j, FilterRule& rule) {
  if (!j.contains("examples")) return;
  const auto& ex = j["examples"];
  if (!ex.is_object()) r.fail("examples", "must be {\"match\": [...], \"no_match\": [...]}");
  if (ex.contains("match")) rule.must_match = r.strings(ex["match"], "examples.match");
  if (ex.contains("no_match")) rule.must_not_match = r.strings(ex["no_match"], "examples.no_match");
}

double threshold_value(const RuleReader& r, const json& v, const std::string& field) {
  if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1)
    r.fail(field, "must be a number from 0 to 1");
  return v.get<double>();
}

void parse_classifier(const RuleReader& r, const json& j, const std::string& model_base,
                      FilterRule& rule) {
  rule.is_classifier = true;
  const auto model = r.string("model", "", true);
  const std::filesystem::path path(model);
  rule.model_dir = path.is_absolute() ? model : (std::filesystem::path(model_base) / path).string();
  const double threshold =
      j.contains("threshold") ? threshold_value(r, j["threshold"], "threshold") : -1;
  if (!j.contains("categories") || !j["categories"].is_object() || j["categories"].empty())
    r.fail("categories",
           "must map each label acted on to \"block\", \"flag\" or {\"action\", \"threshold\"}");
  for (const auto& [label, v] : j["categories"].items()) {
    const std::string field = "categories." + label;
    ClassifierCategory c{label, FilterAction::kBlock, threshold};
    const json action = v.is_object() && v.contains("action") ? v["action"] : v;
    if (!action.is_string() || (action != "block" && action != "flag"))
      r.fail(field, "the action must be \"block\" or \"flag\"");
    c.action = action == "block" ? FilterAction::kBlock : FilterAction::kFlag;
    if (v.is_object() && v.contains("threshold"))
      c.threshold = threshold_value(r, v["threshold"], field + ".threshold");
    rule.categories.push_back(c);
  }
  rule.category = r.string("category", "classifier");
  if (j.contains("check_every")) {
    if (!j["check_every"].is_number_unsigned())
      r.fail("check_every", "must be a byte count (0: at the end only)");
    rule.check_every = j["check_every"].get<std::size_t>();
  }
  for (const char* f : {"patterns", "validator", "redact_with"})
    if (j.contains(f)) r.fail(f, "not used by a classifier rule");
}

FilterRule parse_rule(const json& j, const std::string& pack, const std::string& model_base) {
  if (!j.is_object()) throw RulePackError("pack " + pack + ": every rule must be an object");
  const std::string id = j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : "";
  RuleReader r{pack, id, j};
  FilterRule rule;
  rule.pack = pack;
  rule.id = r.string("id", "", true);
  if (rule.id.empty()) r.fail("id", "must not be empty");
  const auto type = r.string("type", "pattern");
  if (type != "pattern" && type != "classifier")
    r.fail("type", "\"" + type + "\" is not pattern or classifier");
  const auto dir = r.string("applies_to", "both");
  if (dir != "input" && dir != "output" && dir != "both")
    r.fail("applies_to", "\"" + dir + "\" is not input, output or both");
  rule.input = dir != "output";
  rule.output = dir != "input";
  rule.description = r.string("description", "");
  rule.severity = r.string("severity", "high");
  if (type == "classifier") {
    parse_classifier(r, j, model_base, rule);
    parse_examples(r, j, rule);
    return rule;
  }
  rule.category = r.string("category", "", true);
  rule.description = r.string("description", "");
  if (!j.contains("patterns")) r.fail("patterns", "missing");
  rule.patterns = r.strings(j["patterns"], "patterns");
  if (rule.patterns.empty()) r.fail("patterns", "needs at least one pattern");
  rule.validator = r.string("validator", "");
  if (!rule.validator.empty()) {
    const auto& known = validator_names();
    if (std::find(known.begin(), known.end(), rule.validator) == known.end())
      r.fail("validator", "unknown validator \"" + rule.validator + "\"");
  }
  if (j.contains("regions")) rule.regions = r.strings(j["regions"], "regions");
  rule.leniency = r.string("leniency", rule.leniency);
  if ((j.contains("regions") || j.contains("leniency")) && rule.validator != "phone_number")
    r.fail(j.contains("regions") ? "regions" : "leniency", "only for validator \"phone_number\"");
  rule.action = parse_action(r);
  rule.redact_with = r.string("redact_with", "[" + rule.category + "]");
  rule.severity = r.string("severity", "medium");
  if (j.contains("max_length")) {
    if (!j["max_length"].is_number_unsigned() || j["max_length"].get<std::size_t>() == 0)
      r.fail("max_length", "must be a positive integer");
    rule.max_length = j["max_length"].get<std::size_t>();
  }
  rule.alphabet = r.string("alphabet", "");
  rule.first = r.string("first", "");
  parse_examples(r, j, rule);
  return rule;
}

}  // namespace

const char* to_string(FilterAction a) {
  return a == FilterAction::kBlock ? "block" : a == FilterAction::kRedact ? "redact" : "flag";
}

const char* to_string(FilterDirection d) {
  return d == FilterDirection::kInput ? "input" : "output";
}

FilterDirection parse_filter_direction(const std::string& s) {
  if (s == "input") return FilterDirection::kInput;
  if (s == "output") return FilterDirection::kOutput;
  throw std::invalid_argument("direction must be input or output, got \"" + s + "\"");
}

RulePack parse_rule_pack(const std::string& text, const std::string& origin,
                         const std::string& model_base) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw RulePackError(origin + ": not valid JSON");
  if (!j.is_object() || !j.contains("rules") || !j["rules"].is_array())
    throw RulePackError(origin + ": expected {\"name\": ..., \"rules\": [...]}");
  RulePack pack;
  pack.name = j.contains("name") && j["name"].is_string()
                  ? j["name"].get<std::string>()
                  : std::filesystem::path(origin).stem().string();
  for (const auto& r : j["rules"]) pack.rules.push_back(parse_rule(r, pack.name, model_base));
  return pack;
}

std::string builtin_model_dir() {
  if (const char* env = std::getenv("CHOSEI_FILTER_MODELS")) return env;
  return CHOSEI_BUILTIN_FILTER_MODELS;
}

RulePack load_rule_pack(const std::string& name_or_file) {
  for (const auto& [name, source] : builtin_pack_sources())
    if (name == name_or_file)
      return parse_rule_pack(source, "builtin:" + name, builtin_model_dir());
  if (std::filesystem::is_directory(name_or_file)) {
    const auto pack = (std::filesystem::path(name_or_file) / "pack.json").string();
    if (!std::filesystem::exists(pack))
      throw RulePackError(name_or_file + ": a pack folder holds pack.json (and its models)");
    return parse_rule_pack(read_file(pack), pack, name_or_file);
  }
  if (!std::filesystem::exists(name_or_file)) {
    std::string names;
    for (const auto& n : builtin_pack_names()) names += (names.empty() ? "" : ", ") + n;
    throw RulePackError("no built-in pack or file \"" + name_or_file + "\" (built-in: " + names +
                        ")");
  }
  return parse_rule_pack(read_file(name_or_file), name_or_file,
                         std::filesystem::path(name_or_file).parent_path().string());
}

std::vector<RulePack> load_builtin_packs() {
  std::vector<RulePack> packs;
  for (const auto& [name, source] : builtin_pack_sources())
    packs.push_back(parse_rule_pack(source, "builtin:" + name, builtin_model_dir()));
  return packs;
}

std::vector<RulePack> load_rule_packs(const std::vector<std::string>& names) {
  if (names.empty()) return load_rule_packs(default_pack_names());
  std::vector<RulePack> packs;
  for (const auto& n : names) packs.push_back(load_rule_pack(n));
  return packs;
}

const std::vector<std::string>& builtin_pattern_pack_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& pack : load_builtin_packs()) {
      bool patterns_only = true;
      for (const auto& r : pack.rules) patterns_only = patterns_only && !r.is_classifier;
      if (patterns_only) n.push_back(pack.name);
    }
    return n;
  }();
  return names;
}

const std::vector<std::string>& default_pack_names() { return builtin_pattern_pack_names(); }

const std::vector<std::string>& builtin_pack_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, source] : builtin_pack_sources()) n.push_back(name);
    return n;
  }();
  return names;
}

}  // namespace chosei
