#pragma once
// JsonGrammarBuilder: builds the byte Grammar of JSON values (generate/json_grammar.h's
// public functions use it). The common rules (whitespace, strings as valid UTF-8, numbers,
// any value) are made once per builder; compile() turns a JSON Schema into a rule, throwing
// JsonSchemaError for what it does not support. Internal to generate/.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "generate/grammar.h"
#include "generate/json_grammar.h"

namespace chosei::json_grammar_detail {

using json = nlohmann::ordered_json;
using E = Grammar::Element;
using Seq = Grammar::Sequence;
constexpr std::int64_t kUnbounded = -1;
constexpr std::int64_t kMaxRepeat = 4096;

inline Seq cat(std::initializer_list<Seq> parts) {
  Seq out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
inline Seq one(const E& e) { return {e}; }
inline Seq lit(const std::string& s) { return Grammar::literal(s); }

class JsonGrammarBuilder {
 public:
  explicit JsonGrammarBuilder(json root = json::object()) : root_(std::move(root)) {
    build_common();
  }

  std::shared_ptr<const Grammar> finish(std::int32_t root) {
    g_.finish(root);
    return std::make_shared<const Grammar>(std::move(g_));
  }

  std::int32_t any_object() const { return object_; }
  std::int32_t add_rule(const std::string& name, std::initializer_list<Seq> alternatives) {
    return rule(fresh(name), alternatives);
  }
  void add_alternative(std::int32_t r, Seq alternative) { g_.add(r, std::move(alternative)); }
  std::int32_t new_rule(const std::string& name) { return g_.rule(fresh(name)); }
  std::int32_t compile(const json& schema, const std::string& at);

 private:
  Grammar g_;
  json root_;
  std::map<std::string, std::int32_t> refs_;
  std::int32_t ws_ = -1, value_ = -1, object_ = -1, array_ = -1, string_ = -1, char_ = -1,
               digit_ = -1, number_ = -1, integer_ = -1, natural_number_ = -1, natural_ = -1,
               boolean_ = -1, null_ = -1;
  int counter_ = 0;

  std::int32_t rule(const std::string& name, std::initializer_list<Seq> alternatives) {
    const auto r = g_.rule(name);
    for (const auto& a : alternatives) g_.add(r, a);
    return r;
  }
  std::string fresh(const std::string& base) { return base + "-" + std::to_string(counter_++); }
  Seq ref(std::int32_t r) const { return one(Grammar::ref(r)); }
  Seq ws() const { return ref(ws_); }

  // `item` repeated min..max times (max kUnbounded: no limit).
  std::int32_t repeat(const Seq& item, std::int64_t min, std::int64_t max, const std::string& at);
  void build_common();
  std::int32_t utf8_char();
  std::int32_t number_rule(bool natural, bool integer);
  std::int32_t compile_type(const json& schema, const std::string& type, const std::string& at);
  std::int32_t compile_object(const json& schema, const std::string& at);
  std::int32_t compile_array(const json& schema, const std::string& at);
  std::int32_t compile_string(const json& schema, const std::string& at);
  std::int32_t compile_ref(const std::string& ref, const std::string& at);
  std::int32_t literal_choice(const std::vector<json>& values, const std::string& name);
};

}  // namespace chosei::json_grammar_detail
