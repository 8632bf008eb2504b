#include "datasets/chat_writer.h"

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"

namespace chosei {

std::string conversation_to_openai_json(const Conversation& c) {
  nlohmann::ordered_json j;
  j["messages"] = nlohmann::ordered_json::array();
  for (const auto& t : c.turns) {
    nlohmann::ordered_json m = {{"role", t.role}, {"content", t.content}};
    if (t.weight) m["weight"] = *t.weight;
    j["messages"].push_back(m);
  }
  for (const auto& [k, v] : c.fields) j[k] = v;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void write_openai_jsonl(const std::string& path, const std::vector<Conversation>& conversations) {
  write_file_atomic(path, [&](std::ostream& out) {
    for (const auto& c : conversations) out << conversation_to_openai_json(c) << '\n';
  });
}

}  // namespace chosei
