#include "train/run_config.h"

#include <stdexcept>

#include "base/atomic_file.h"

namespace chosei {

using nlohmann::json;

namespace {

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0, dot;
  while ((dot = key.find('.', start)) != std::string::npos)
    parts.push_back(key.substr(start, dot - start)), start = dot + 1;
  parts.push_back(key.substr(start));
  return parts;
}

void collect_leaves(const json& j, const std::string& prefix, std::vector<std::string>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it.value().is_object())
      collect_leaves(it.value(), key, out);
    else
      out.push_back(key);
  }
}

[[noreturn]] void wrong_type(const std::string& key, const char* expected, const json& v) {
  throw std::invalid_argument("config key \"" + key + "\": expected " + expected + ", got " +
                              v.dump());
}

}  // namespace

RunConfig RunConfig::load(const std::string& path, const std::vector<std::string>& overrides) {
  RunConfig c;
  if (!path.empty()) {
    c.given_ = json::parse(read_file(path), nullptr, false);
    if (c.given_.is_discarded() || !c.given_.is_object())
      throw std::invalid_argument(path + ": not a JSON object");
  }
  for (const auto& o : overrides) {
    auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::invalid_argument("--set \"" + o + "\": expected key=value");
    const std::string key = o.substr(0, eq), text = o.substr(eq + 1);
    json value = json::parse(text, nullptr, false);
    if (value.is_discarded()) value = text;
    json* node = &c.given_;
    auto parts = split_key(key);
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      if (!(*node)[parts[i]].is_object()) (*node)[parts[i]] = json::object();
      node = &(*node)[parts[i]];
    }
    (*node)[parts.back()] = value;
  }
  return c;
}

const json* RunConfig::find(const std::string& key) const {
  const json* node = &given_;
  for (const auto& part : split_key(key)) {
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &(*node)[part];
  }
  return node->is_null() ? nullptr : node;
}

bool RunConfig::has(const std::string& key) const { return find(key) != nullptr; }

void RunConfig::record(const std::string& key, const json& value) {
  used_.insert(key);
  json* node = &resolved_;
  auto parts = split_key(key);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) node = &(*node)[parts[i]];
  (*node)[parts.back()] = value;
}

std::string RunConfig::get_string(const std::string& key, const std::string& fallback) {
  const json* v = find(key);
  std::string out = fallback;
  if (v) {
    if (v->is_string())
      out = v->get<std::string>();
    else if (v->is_number())
      out = v->dump();
    else
      wrong_type(key, "a string", *v);
  }
  record(key, out);
  return out;
}

std::string RunConfig::require_string(const std::string& key) {
  if (!find(key))
    throw std::invalid_argument("config key \"" + key + "\" is required (--set " + key + "=...)");
  return get_string(key, "");
}

std::int64_t RunConfig::get_int(const std::string& key, std::int64_t fallback) {
  const json* v = find(key);
  std::int64_t out = fallback;
  if (v) {
    if (!v->is_number_integer()) wrong_type(key, "an integer", *v);
    out = v->get<std::int64_t>();
  }
  record(key, out);
  return out;
}

double RunConfig::get_double(const std::string& key, double fallback) {
  const json* v = find(key);
  double out = fallback;
  if (v) {
    if (!v->is_number()) wrong_type(key, "a number", *v);
    out = v->get<double>();
  }
  record(key, out);
  return out;
}

bool RunConfig::get_bool(const std::string& key, bool fallback) {
  const json* v = find(key);
  bool out = fallback;
  if (v) {
    if (!v->is_boolean()) wrong_type(key, "true or false", *v);
    out = v->get<bool>();
  }
  record(key, out);
  return out;
}

std::vector<std::string> RunConfig::get_strings(const std::string& key,
                                                const std::vector<std::string>& fallback) {
  const json* v = find(key);
  std::vector<std::string> out = fallback;
  if (v) {
    out.clear();
    if (v->is_string()) {  // "a,b,c"
      std::string s = v->get<std::string>();
      std::size_t start = 0, comma;
      while ((comma = s.find(',', start)) != std::string::npos)
        out.push_back(s.substr(start, comma - start)), start = comma + 1;
      if (start < s.size()) out.push_back(s.substr(start));
    } else if (v->is_array()) {
      for (const auto& e : *v) {
        if (!e.is_string()) wrong_type(key, "a list of strings", *v);
        out.push_back(e.get<std::string>());
      }
    } else {
      wrong_type(key, "a list of strings", *v);
    }
  }
  record(key, out);
  return out;
}

void RunConfig::check_all_used() const {
  std::vector<std::string> keys, unknown;
  collect_leaves(given_, "", keys);
  for (const auto& k : keys)
    if (!used_.count(k)) unknown.push_back(k);
  if (unknown.empty()) return;
  std::string list;
  for (const auto& k : unknown) list += (list.empty() ? "" : ", ") + k;
  throw std::invalid_argument("unknown config key(s): " + list);
}

}  // namespace chosei
