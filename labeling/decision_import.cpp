#include "labeling/decision_import.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace chosei {

namespace {

std::string text_field(const nlohmann::json& j, const char* key, bool required) {
  if (!j.contains(key)) {
    if (required) throw std::invalid_argument(std::string("no \"") + key + "\" field");
    return "";
  }
  if (!j[key].is_string())
    throw std::invalid_argument(std::string("\"") + key + "\" is not a string");
  return j[key].get<std::string>();
}

ImportedDecision parse_line(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw std::invalid_argument("not a JSON object");
  ImportedDecision d;
  d.session = text_field(j, "session", false);
  d.decision.item = text_field(j, "item", true);
  d.decision.annotator = text_field(j, "annotator", true);
  if (d.decision.annotator.empty()) throw std::invalid_argument("\"annotator\" is empty");
  d.decision.choice = parse_label_choice(text_field(j, "choice", true));
  d.decision.reason = text_field(j, "reason", false);
  d.decision.client_id = text_field(j, "client_id", false);
  d.decision.source = "import";
  if (j.contains("strength")) {
    if (!j["strength"].is_number_integer() || (j["strength"] != 1 && j["strength"] != 2))
      throw std::invalid_argument("\"strength\" must be 1 or 2");
    d.decision.strength = j["strength"].get<int>();
  }
  if (j.contains("seconds")) {
    if (!j["seconds"].is_number() || j["seconds"].get<double>() < 0)
      throw std::invalid_argument("\"seconds\" must be a number >= 0");
    d.decision.seconds = j["seconds"].get<double>();
  }
  return d;
}

}  // namespace

std::vector<ImportedDecision> read_decision_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::vector<ImportedDecision> out;
  std::string text;
  for (std::size_t line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      out.push_back(parse_line(text));
      out.back().line = line;
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ":" + std::to_string(line) + ": " + e.what());
    }
  }
  return out;
}

}  // namespace chosei
