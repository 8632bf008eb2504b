// `chosei filter check|test`: run the safety filters on texts, and check the rule packs'
// own examples.

#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "datasets/text_lines.h"
#include "filters/audit_log.h"
#include "filters/filter_engine.h"
#include "filters/rule_examples.h"

namespace chosei::cli {

namespace {

nlohmann::ordered_json result_json(const FilterResult& r) {
  nlohmann::ordered_json j;
  j["decision"] = to_string(r.decision);
  j["matches"] = nlohmann::ordered_json::array();
  for (const auto& m : r.matches) {
    j["matches"].push_back({{"rule", m.rule},
                            {"category", m.category},
                            {"action", to_string(m.action)},
                            {"start", m.start},
                            {"end", m.end},
                            {"byte_start", m.byte_start},
                            {"byte_end", m.byte_end},
                            {"text", m.text}});
    if (m.score >= 0) j["matches"].back()["score"] = m.score;  // a classifier rule's
  }
  j["redacted"] = r.redacted;
  return j;
}

struct CheckArgs {
  std::vector<std::string> packs;
  std::string direction = "input", text, jsonl, field = "text", audit_log;
  std::string context, context_field;  // the prompt an output answers (classifier rules)
};

void run_check(const CheckArgs& a, bool has_text) {
  const FilterEngine engine(load_rule_packs(a.packs));
  const auto direction = parse_filter_direction(a.direction);
  std::unique_ptr<AuditLog> audit;
  if (!a.audit_log.empty()) audit = std::make_unique<AuditLog>(a.audit_log);
  auto check_one = [&](const std::string& text, const std::string& context,
                       const std::string& source) {
    auto r = engine.check(text, direction, context);
    if (audit) audit->record(direction, r, source);
    std::cout << result_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  };
  if (has_text) return check_one(a.text, a.context, "");
  for (const auto& line : read_nonblank_lines(a.jsonl)) {
    const std::string where = a.jsonl + ":" + std::to_string(line.number);
    auto j = nlohmann::json::parse(line.text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw std::runtime_error(where + ": not a JSON object");
    if (!j.contains(a.field) || !j[a.field].is_string())
      throw std::runtime_error(where + ": no string field \"" + a.field + "\"");
    std::string context;
    if (!a.context_field.empty()) {
      if (!j.contains(a.context_field) || !j[a.context_field].is_string())
        throw std::runtime_error(where + ": no string field \"" + a.context_field + "\"");
      context = j[a.context_field].get<std::string>();
    }
    check_one(j[a.field].get<std::string>(), context, where);
  }
}

void run_test(const std::vector<std::string>& packs) {
  const FilterEngine engine(load_rule_packs(packs), /*verify_examples=*/false);
  std::size_t failed = 0;
  std::cout << std::left << std::setw(18) << "pack" << std::setw(28) << "rule" << std::setw(10)
            << "examples"
            << "result\n";
  for (const auto& r : check_rule_examples(engine)) {
    std::cout << std::setw(18) << r.pack << std::setw(28) << r.rule << std::setw(10)
              << (std::to_string(r.passed) + "/" + std::to_string(r.total))
              << (r.failures.empty() ? "ok" : "FAIL") << "\n";
    for (const auto& f : r.failures) std::cout << "    " << f << "\n";
    failed += r.failures.size();
  }
  if (failed) throw std::runtime_error(std::to_string(failed) + " rule example(s) failed");
}

}  // namespace

void add_filter_commands(CLI::App& app) {
  auto* filter = app.add_subcommand("filter", "Safety filters: check texts, test rule packs");
  filter->require_subcommand(1);

  auto ck = std::make_shared<CheckArgs>();
  auto* check = filter->add_subcommand("check", "Filter texts; one JSON line per input");
  add_repeatable(check, "--pack", ck->packs,
                 "Built-in pack name (pii, secrets, prompt_injection, harmful, profanity; safety: "
                 "the learned classifier), a JSON file or a pack folder (repeatable; default: the "
                 "pattern packs)");
  check->add_option("--direction", ck->direction, "input or output")
      ->check(CLI::IsMember({"input", "output"}))
      ->capture_default_str();
  auto* text = check->add_option("--text", ck->text, "One text to check");
  auto* jsonl = check->add_option("--jsonl", ck->jsonl, "JSONL file; checks each line's field")
                    ->check(CLI::ExistingFile);
  text->excludes(jsonl);
  check->add_option("--field", ck->field, "The JSONL field to check")->capture_default_str();
  auto* context = check->add_option("--context", ck->context,
                                    "With --text: the prompt the text answers (classifier rules)");
  auto* context_field = check->add_option(
      "--context-field", ck->context_field,
      "With --jsonl: the field holding the prompt each text answers (classifier rules)");
  context->needs(text);
  context_field->needs(jsonl);
  check->add_option("--audit-log", ck->audit_log,
                    "Append one JSON line per decision (rules and decision, never the text)");
  check->callback([ck, text, jsonl] {
    if (!*text && !*jsonl) throw std::invalid_argument("filter check needs --text or --jsonl");
    run_check(*ck, static_cast<bool>(*text));
  });

  auto packs = std::make_shared<std::vector<std::string>>();
  auto* test = filter->add_subcommand("test", "Check every rule's examples; prints a table");
  add_repeatable(test, "--pack", *packs,
                 "Pack name, JSON file or pack folder (repeatable; default: the pattern packs)");
  test->callback([packs] { run_test(*packs); });
}

}  // namespace chosei::cli
