#include "tokenizer/tokenizer_config.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/atomic_file.h"

namespace chosei {

using nlohmann::json;

namespace {
// A token is written as "<s>" or as {"content": "<s>", ...}.
std::string token_string(const json& j, const char* field) {
  if (!j.contains(field) || j[field].is_null()) return "";
  if (j[field].is_string()) return j[field].get<std::string>();
  if (j[field].is_object() && j[field].contains("content"))
    return j[field]["content"].get<std::string>();
  return "";
}
}  // namespace

TokenizerConfig load_tokenizer_config(const std::string& path) {
  TokenizerConfig c;
  if (!std::filesystem::exists(path)) return c;
  c.original_json = read_file(path);
  json j = json::parse(c.original_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw std::invalid_argument(path + ": not a JSON object");
  c.bos_token = token_string(j, "bos_token");
  c.eos_token = token_string(j, "eos_token");
  c.pad_token = token_string(j, "pad_token");
  c.unk_token = token_string(j, "unk_token");
  if (j.contains("add_bos_token") && j["add_bos_token"].is_boolean())
    c.add_bos_token = j["add_bos_token"].get<bool>();
  if (j.contains("add_eos_token") && j["add_eos_token"].is_boolean())
    c.add_eos_token = j["add_eos_token"].get<bool>();
  if (j.contains("chat_template")) {
    const auto& t = j["chat_template"];
    if (t.is_string()) {
      c.chat_template = t.get<std::string>();
    } else if (t.is_array()) {  // [{"name": "default", "template": ...}, ...]
      for (const auto& e : t)
        if (e.value("name", "") == "default") c.chat_template = e.value("template", "");
    }
  }
  return c;
}

std::string tokenizer_config_to_json(const TokenizerConfig& c) {
  json j = json::object();
  if (!c.original_json.empty()) {
    auto orig = json::parse(c.original_json, nullptr, false);
    if (orig.is_object()) j = orig;
  }
  auto set_token = [&](const char* field, const std::string& v) {
    if (!v.empty()) j[field] = v;
  };
  set_token("bos_token", c.bos_token);
  set_token("eos_token", c.eos_token);
  set_token("pad_token", c.pad_token);
  set_token("unk_token", c.unk_token);
  if (c.add_bos_token) j["add_bos_token"] = *c.add_bos_token;
  if (c.add_eos_token) j["add_eos_token"] = *c.add_eos_token;
  if (!c.chat_template.empty()) j["chat_template"] = c.chat_template;
  return j.dump(2) + "\n";
}

}  // namespace chosei
