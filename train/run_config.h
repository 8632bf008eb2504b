#pragma once
// RunConfig: the configuration of a training run: a JSON file (optional) plus
// `--set key=value` overrides, with dotted keys for nested objects (lora.r=8). Values parse
// as JSON when they can (numbers, true/false, lists) and as strings otherwise.
//
// Getters check types and name the key on error. Every key read is recorded, so a key
// nobody reads (a typo) is an error, and the resolved config (defaults included) can be
// written to the run directory.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace chosei {

// What a recipe command is given: `--config FILE` and the `--set key=value` overrides.
struct RecipeArgs {
  std::string config_path;
  std::vector<std::string> overrides;
  int threads = 0;
};

class RunConfig {
 public:
  // `path` may be empty. Throws std::invalid_argument naming the file or the --set.
  static RunConfig load(const std::string& path, const std::vector<std::string>& overrides);

  std::string get_string(const std::string& key, const std::string& fallback);
  std::string require_string(const std::string& key);
  std::int64_t get_int(const std::string& key, std::int64_t fallback);
  double get_double(const std::string& key, double fallback);
  bool get_bool(const std::string& key, bool fallback);
  std::vector<std::string> get_strings(const std::string& key,
                                       const std::vector<std::string>& fallback);
  bool has(const std::string& key) const;

  // Throws std::invalid_argument listing keys that were given but never read.
  void check_all_used() const;
  // The configuration as run: given values plus the defaults that were used.
  const nlohmann::json& resolved() const { return resolved_; }

 private:
  const nlohmann::json* find(const std::string& key) const;
  void record(const std::string& key, const nlohmann::json& value);
  nlohmann::json given_ = nlohmann::json::object();
  nlohmann::json resolved_ = nlohmann::json::object();
  std::set<std::string> used_;
};

}  // namespace chosei
