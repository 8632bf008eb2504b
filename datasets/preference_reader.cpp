#include "datasets/preference_reader.h"

#include <algorithm>
#include <stdexcept>

#include "base/unicode_text.h"
#include "datasets/chat_reader.h"
#include "datasets/message_json.h"

namespace chosei {

using json =
    nlohmann::ordered_json;  // key order as written: templates print tools and arguments in it

namespace {

const std::vector<std::string> kFormats = {
    "auto",  "trl", "openai-dpo", "hh-rlhf", "sharegpt", "llamafactory-v1", "llamafactory-kto",
    "turbo", "kto"};

bool same_turn(const Turn& a, const Turn& b) { return a.role == b.role && a.content == b.content; }

// Splits two whole conversations at the first turn where they differ, backed off to an
// assistant turn in both: the shared turns before it are the prompt.
void split_shared_prefix(std::vector<Turn> chosen, std::vector<Turn> rejected,
                         PreferencePair& out) {
  std::size_t idx = 0;
  const std::size_t n = std::min(chosen.size(), rejected.size());
  while (idx < n && same_turn(chosen[idx], rejected[idx])) ++idx;
  auto answer_at = [&](std::size_t i) {
    return i < chosen.size() && i < rejected.size() && chosen[i].role == "assistant" &&
           rejected[i].role == "assistant";
  };
  if (idx == n && n > 0) idx = n - 1;  // identical or one a prefix: compare the last turns
  while (idx > 0 && !answer_at(idx)) --idx;
  if (!answer_at(idx))
    throw RecordError{"answers_not_assistant",
                      "chosen and rejected do not diverge at an assistant turn"};
  out.prompt.assign(chosen.begin(), chosen.begin() + static_cast<std::ptrdiff_t>(idx));
  out.chosen.assign(chosen.begin() + static_cast<std::ptrdiff_t>(idx), chosen.end());
  out.rejected.assign(rejected.begin() + static_cast<std::ptrdiff_t>(idx), rejected.end());
}

// TRL's implicit prompt for strings: the longest common prefix, ending before a space so
// that the answers keep their leading space.
void split_shared_text(const std::string& chosen, const std::string& rejected,
                       PreferencePair& out) {
  std::size_t idx = 0;
  const std::size_t n = std::min(chosen.size(), rejected.size());
  while (idx < n && chosen[idx] == rejected[idx]) ++idx;
  if (idx > 0 && chosen[idx - 1] == ' ') --idx;
  while (idx > 0 && (static_cast<unsigned char>(chosen[idx]) & 0xC0) == 0x80) --idx;  // UTF-8
  out.raw = true;
  out.prompt = {{"user", chosen.substr(0, idx), std::nullopt}};
  out.chosen = {{"assistant", chosen.substr(idx), std::nullopt}};
  out.rejected = {{"assistant", rejected.substr(idx), std::nullopt}};
}

std::vector<Turn> answer_turns(const json& j, const std::string& field) {
  if (j.is_object()) return {message_turn(j)};
  return message_list(j, field);
}

void require(const json& j, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (!j.contains(k)) throw RecordError{"missing_field", std::string("no \"") + k + "\" field"};
}

PreferencePair from_trl(const json& j) {
  require(j, {"chosen", "rejected"});
  PreferencePair p;
  const auto &c = j["chosen"], &r = j["rejected"];
  if (j.contains("prompt")) {
    const auto& prompt = j["prompt"];
    if (prompt.is_string()) {
      if (!c.is_string() || !r.is_string())
        throw RecordError{"wrong_type", "a string prompt needs string chosen and rejected"};
      p.raw = true;
      p.prompt = {{"user", prompt.get<std::string>(), std::nullopt}};
      p.chosen = {{"assistant", c.get<std::string>(), std::nullopt}};
      p.rejected = {{"assistant", r.get<std::string>(), std::nullopt}};
    } else {
      if (!prompt.is_array()) throw RecordError{"wrong_type", "\"prompt\" is not a string or list"};
      for (const auto& m : prompt) p.prompt.push_back(message_turn(m));
      p.chosen = answer_turns(c, "chosen");
      p.rejected = answer_turns(r, "rejected");
    }
  } else if (c.is_string() && r.is_string()) {
    split_shared_text(c.get<std::string>(), r.get<std::string>(), p);
  } else {
    split_shared_prefix(message_list(c, "chosen"), message_list(r, "rejected"), p);
  }
  return p;
}

PreferencePair from_openai_dpo(const json& j) {
  require(j, {"input"});
  if (!j["input"].is_object() || !j["input"].contains("messages"))
    throw RecordError{"missing_messages_list", "\"input\" has no \"messages\""};
  const char* good = j.contains("preferred_output") ? "preferred_output" : "preferred_completion";
  const char* bad =
      j.contains("non_preferred_output") ? "non_preferred_output" : "non_preferred_completion";
  require(j, {good, bad});
  PreferencePair p;
  p.prompt = message_list(j["input"]["messages"], "input.messages");
  p.chosen = answer_turns(j[good], good);
  p.rejected = answer_turns(j[bad], bad);
  return p;
}

PreferencePair from_hh(const json& j) {
  PreferencePair p;
  split_shared_prefix(parse_hh_transcript(string_field(j, "chosen", true)),
                      parse_hh_transcript(string_field(j, "rejected", true)), p);
  return p;
}

PreferencePair from_sharegpt(const json& j) {
  require(j, {"conversations", "chosen", "rejected"});
  if (!j["conversations"].is_array())
    throw RecordError{"missing_messages_list", "\"conversations\" is not a list"};
  PreferencePair p;
  const std::string system = string_field(j, "system", false);
  if (!system.empty()) p.prompt.push_back({"system", system, std::nullopt});
  for (const auto& t : j["conversations"]) p.prompt.push_back(sharegpt_turn(t));
  p.chosen = {sharegpt_turn(j["chosen"])};
  p.rejected = {sharegpt_turn(j["rejected"])};
  return p;
}

PreferencePair from_llamafactory_v1(const json& j) {
  require(j, {"chosen_messages", "rejected_messages"});
  PreferencePair p;
  split_shared_prefix(message_list(j["chosen_messages"], "chosen_messages"),
                      message_list(j["rejected_messages"], "rejected_messages"), p);
  return p;
}

PreferencePair from_turbo_pair(const json& j) {
  require(j, {"context", "answer_w", "answer_l"});
  PreferencePair p;
  p.prompt = message_list(j["context"], "context");
  p.chosen = {message_turn(j["answer_w"])};
  p.rejected = {message_turn(j["answer_l"])};
  return p;
}

bool label_field(const json& j, const char* key) {
  if (!j.contains(key)) throw RecordError{"missing_field", std::string("no \"") + key + "\""};
  if (!j[key].is_boolean())
    throw RecordError{"wrong_type", std::string("\"") + key + "\" is not true or false"};
  return j[key].get<bool>();
}

UnpairedExample from_kto(const json& j) {
  require(j, {"prompt", "completion"});
  UnpairedExample u;
  u.desirable = label_field(j, "label");
  if (j["prompt"].is_string()) {
    if (!j["completion"].is_string())
      throw RecordError{"wrong_type", "a string prompt needs a string completion"};
    u.raw = true;
    u.prompt = {{"user", j["prompt"].get<std::string>(), std::nullopt}};
    u.completion = {{"assistant", j["completion"].get<std::string>(), std::nullopt}};
  } else {
    if (!j["prompt"].is_array()) throw RecordError{"wrong_type", "\"prompt\" is not a list"};
    for (const auto& m : j["prompt"]) u.prompt.push_back(message_turn(m));
    u.completion = answer_turns(j["completion"], "completion");
  }
  return u;
}

UnpairedExample from_llamafactory_kto(const json& j) {
  auto turns = message_list(j["messages"], "messages");
  UnpairedExample u;
  u.desirable = label_field(j, "label");
  if (turns.back().role != "assistant")
    throw RecordError{"answers_not_assistant", "the last message is not an assistant turn"};
  u.completion = {turns.back()};
  turns.pop_back();
  u.prompt = std::move(turns);
  return u;
}

UnpairedExample from_turbo_kto(const json& j) {
  require(j, {"context", "answer"});
  UnpairedExample u;
  u.desirable = label_field(j, "is_desirable");
  u.prompt = message_list(j["context"], "context");
  u.completion = {message_turn(j["answer"])};
  return u;
}

bool is_hh_text(const json& v) {
  return v.is_string() && v.get<std::string>().rfind("\n\nHuman:", 0) == 0;
}

std::string detect(const json& j) {
  if (j.contains("input") && (j.contains("preferred_output") || j.contains("preferred_completion")))
    return "openai-dpo";
  if (j.contains("chosen_messages")) return "llamafactory-v1";
  if (j.contains("conversations") && j.contains("chosen")) return "sharegpt";
  if (j.contains("context")) return "turbo";
  if (j.contains("messages") && j.contains("label")) return "llamafactory-kto";
  if (j.contains("completion") && j.contains("label")) return "kto";
  if (j.contains("chosen") && j.contains("rejected"))
    return !j.contains("prompt") && is_hh_text(j["chosen"]) ? "hh-rlhf" : "trl";
  throw RecordError{"unknown_preference_format",
                    "no chosen/rejected, preferred_output, chosen_messages, answer_w or "
                    "completion/label fields"};
}

std::string record_id(const json& j) {
  if (!j.contains("id")) return "";
  if (j["id"].is_string()) return j["id"].get<std::string>();
  if (j["id"].is_number_integer()) return j["id"].dump();
  throw RecordError{"wrong_type", "\"id\" is not a string or integer"};
}

void check_utf8(const std::vector<Turn>& turns) {
  for (const auto& t : turns)
    if (!is_valid_utf8(t.content))
      throw RecordError{"invalid_utf8", "a " + t.role + " turn is not valid UTF-8"};
}

void check_answers_are_assistant(const std::vector<Turn>& answer, const char* side) {
  if (answer.empty() || answer.front().role != "assistant")
    throw RecordError{"answers_not_assistant",
                      std::string("the ") + side + " answer is not an assistant turn"};
}

void read_record(const json& j, const std::string& format_option, PreferenceDataset& out) {
  if (!j.is_object()) throw RecordError{"data_type", "the record is not a JSON object"};
  const std::string format = format_option == "auto" ? detect(j) : format_option;
  const bool kto = format == "kto" || format == "llamafactory-kto" ||
                   (format == "turbo" && j.contains("answer") && !j.contains("answer_w"));
  if (kto) {
    UnpairedExample u = format == "kto"     ? from_kto(j)
                        : format == "turbo" ? from_turbo_kto(j)
                                            : from_llamafactory_kto(j);
    check_utf8(u.prompt), check_utf8(u.completion);
    check_answers_are_assistant(u.completion, "completion");
    u.id = record_id(j);
    out.unpaired.push_back(std::move(u));
  } else {
    PreferencePair p = format == "trl"               ? from_trl(j)
                       : format == "openai-dpo"      ? from_openai_dpo(j)
                       : format == "hh-rlhf"         ? from_hh(j)
                       : format == "sharegpt"        ? from_sharegpt(j)
                       : format == "llamafactory-v1" ? from_llamafactory_v1(j)
                                                     : from_turbo_pair(j);
    check_utf8(p.prompt), check_utf8(p.chosen), check_utf8(p.rejected);
    check_answers_are_assistant(p.chosen, "chosen");
    check_answers_are_assistant(p.rejected, "rejected");
    if (j.contains("margin")) {
      if (!j["margin"].is_number()) throw RecordError{"wrong_type", "\"margin\" is not a number"};
      p.margin = j["margin"].get<double>();
    }
    p.id = record_id(j);
    out.pairs.push_back(std::move(p));
  }
  ++out.formats[format];
}

}  // namespace

std::string turns_text(const std::vector<Turn>& turns) {
  std::string s;
  for (const auto& t : turns) s += t.content;
  return s;
}

std::vector<Turn> parse_hh_transcript(const std::string& text) {
  static const std::string kHuman = "\n\nHuman:", kAssistant = "\n\nAssistant:";
  if (text.compare(0, kHuman.size(), kHuman) != 0)
    throw RecordError{"not_a_transcript", "the text does not start with \"\\n\\nHuman:\""};
  std::vector<Turn> turns;
  std::size_t pos = 0;  // always at a marker
  while (pos < text.size()) {
    const bool human = text.compare(pos, kHuman.size(), kHuman) == 0;
    std::size_t start = pos + (human ? kHuman.size() : kAssistant.size());
    if (start < text.size() && text[start] == ' ') ++start;
    const std::size_t next = std::min(text.find(kHuman, start), text.find(kAssistant, start));
    const std::size_t end = next == std::string::npos ? text.size() : next;
    turns.push_back({human ? "user" : "assistant", text.substr(start, end - start), std::nullopt});
    pos = end;
  }
  return turns;
}

std::vector<std::string> preference_formats() { return kFormats; }

PreferenceDataset read_preference_dataset(const std::string& path,
                                          const PreferenceReadOptions& opt) {
  if (std::find(kFormats.begin(), kFormats.end(), opt.from) == kFormats.end())
    throw std::invalid_argument("unknown preference format \"" + opt.from + "\" (expected one of " +
                                [] {
                                  std::string s;
                                  for (const auto& f : kFormats) s += (s.empty() ? "" : ", ") + f;
                                  return s;
                                }() +
                                ")");
  PreferenceDataset out;
  std::vector<DataError> errors;
  for_each_json_record(
      path,
      [&](const json& j, std::size_t line) {
        const auto pairs = out.pairs.size(), unpaired = out.unpaired.size();
        try {
          read_record(j, opt.from, out);
        } catch (const RecordError& e) {
          errors.push_back({path, line, e.kind, e.message});
          return;
        }
        for (auto i = pairs; i < out.pairs.size(); ++i)
          out.pairs[i].source = path, out.pairs[i].line = line;
        for (auto i = unpaired; i < out.unpaired.size(); ++i)
          out.unpaired[i].source = path, out.unpaired[i].line = line;
      },
      errors);
  if (!errors.empty() && !opt.skip_invalid) throw DatasetError(std::move(errors));
  out.errors = std::move(errors);
  return out;
}

bool looks_like_preference_file(const std::string& path) {
  bool preference = false, first = true;
  std::vector<DataError> ignored;
  try {
    for_each_json_record(
        path,
        [&](const json& j, std::size_t) {
          if (!first) return;
          first = false;
          if (!j.is_object()) return;
          try {
            detect(j);
            preference = true;
          } catch (const RecordError&) {
          }
        },
        ignored);
  } catch (const std::exception&) {
    return false;
  }
  return preference;
}

}  // namespace chosei
