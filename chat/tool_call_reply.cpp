#include "chat/tool_call_reply.h"

#include <cstdio>
#include <mutex>
#include <random>

namespace chosei {

ToolCallReply::ToolCallReply(ChatTemplate tmpl, bool forced)
    : tmpl_(std::move(tmpl)), trigger_(tool_call_syntax(tmpl_).trigger), holding_all_(forced) {}

std::string ToolCallReply::push(const std::string& piece) {
  held_ += piece;
  if (holding_all_) return "";
  const auto at = held_.find(trigger_);
  if (at != std::string::npos) {
    holding_all_ = true;
    std::string out = held_.substr(0, at);
    held_.erase(0, at);
    return out;
  }
  std::size_t keep = 0;  // the longest suffix that is a prefix of the trigger
  for (std::size_t k = std::min(trigger_.size() - 1, held_.size()); k > 0; --k)
    if (held_.compare(held_.size() - k, k, trigger_, 0, k) == 0) {
      keep = k;
      break;
    }
  std::string out = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

ParsedReply ToolCallReply::finish() {
  ParsedReply r = parse_tool_calls(tmpl_, held_);
  held_.clear();
  return r;
}

nlohmann::json tool_calls_json(std::vector<ToolCall>& calls, bool with_index) {
  static std::mt19937_64 rng(std::random_device{}());
  static std::mutex m;
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto& c = calls[i];
    if (c.id.empty()) {
      std::lock_guard<std::mutex> lock(m);
      char buf[32];
      std::snprintf(buf, sizeof buf, "call_%016llx", static_cast<unsigned long long>(rng()));
      c.id = buf;
    }
    nlohmann::json j = {{"id", c.id},
                        {"type", "function"},
                        {"function", {{"name", c.name}, {"arguments", c.arguments}}}};
    if (with_index) j["index"] = i;
    out.push_back(j);
  }
  return out;
}

}  // namespace chosei
