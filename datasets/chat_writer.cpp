#include "datasets/chat_writer.h"

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"

namespace chosei {

std::string conversation_to_openai_json(const Conversation& c) {
  nlohmann::ordered_json j;
  j["messages"] = nlohmann::ordered_json::array();
  for (const auto& t : c.turns) {
    nlohmann::ordered_json m = {{"role", t.role}, {"content", t.content}};
    if (!t.tool_calls.empty()) {  // OpenAI's shape: arguments as a JSON string
      m["content"] = nullptr;
      if (!t.content.empty()) m["content"] = t.content;
      m["tool_calls"] = nlohmann::ordered_json::array();
      for (std::size_t i = 0; i < t.tool_calls.size(); ++i)
        m["tool_calls"].push_back(
            {{"id", "call_" + std::to_string(i)},
             {"type", "function"},
             {"function",
              {{"name", t.tool_calls[i].first}, {"arguments", t.tool_calls[i].second}}}});
    }
    if (t.weight) m["weight"] = *t.weight;
    j["messages"].push_back(m);
  }
  if (!c.tools.empty()) {
    j["tools"] = nlohmann::ordered_json::array();
    for (const auto& tool : c.tools) j["tools"].push_back(nlohmann::ordered_json::parse(tool));
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
