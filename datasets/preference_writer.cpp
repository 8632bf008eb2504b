#include "datasets/preference_writer.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/atomic_file.h"

namespace chosei {

using nlohmann::ordered_json;

namespace {

ordered_json messages(const std::vector<Turn>& turns) {
  auto a = ordered_json::array();
  for (const auto& t : turns) a.push_back({{"role", t.role}, {"content", t.content}});
  return a;
}

// TRL's two kinds: strings for raw text, message lists for chat.
ordered_json trl_text(bool raw, const std::vector<Turn>& turns) {
  return raw ? ordered_json(turns_text(turns)) : messages(turns);
}

void with_id(ordered_json& j, const std::string& id) {
  if (!id.empty()) j["id"] = id;
}

}  // namespace

std::size_t write_preference_jsonl(const std::string& path, const PreferenceDataset& data,
                                   const std::string& format) {
  if (format != "openai-dpo" && format != "trl" && format != "kto")
    throw std::invalid_argument("--to " + format + ": expected openai-dpo, trl or kto");
  if (format != "kto" && !data.unpaired.empty())
    throw std::invalid_argument(std::to_string(data.unpaired.size()) +
                                " unpaired (KTO) examples cannot be written as pairs (" + format +
                                "); convert them --to kto");
  std::string out;
  std::size_t lines = 0;
  auto emit = [&](const ordered_json& j) { out += j.dump() + "\n", ++lines; };
  for (const auto& p : data.pairs) {
    ordered_json j;
    if (format == "openai-dpo") {
      j = {{"input", {{"messages", messages(p.prompt)}}},
           {"preferred_output", messages(p.chosen)},
           {"non_preferred_output", messages(p.rejected)}};
    } else if (format == "trl") {
      j = {{"prompt", trl_text(p.raw, p.prompt)},
           {"chosen", trl_text(p.raw, p.chosen)},
           {"rejected", trl_text(p.raw, p.rejected)}};
    } else {
      for (bool good : {true, false}) {
        ordered_json k = {{"prompt", trl_text(p.raw, p.prompt)},
                          {"completion", trl_text(p.raw, good ? p.chosen : p.rejected)},
                          {"label", good}};
        with_id(k, p.id);
        emit(k);
      }
      continue;
    }
    if (p.margin) j["margin"] = *p.margin;
    with_id(j, p.id);
    emit(j);
  }
  for (const auto& u : data.unpaired) {
    ordered_json k = {{"prompt", trl_text(u.raw, u.prompt)},
                      {"completion", trl_text(u.raw, u.completion)},
                      {"label", u.desirable}};
    with_id(k, u.id);
    emit(k);
  }
  write_file_atomic(path, out);
  return lines;
}

}  // namespace chosei
