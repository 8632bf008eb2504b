#pragma once
// Value: what a Jinja template computes with, with Python's semantics as jinja2 gives them
// (transformers renders chat templates with jinja2): undefined, none, booleans, integers,
// floats, strings, lists, dicts (insertion-ordered, string keys) and callables. Lists and
// dicts are shared, as Python objects are; a namespace() is a dict whose attributes `set`
// may assign.

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace chosei::jinja {

class Value;
using ValueList = std::vector<Value>;
// Insertion-ordered, as Python's dict.
using ValueDict = std::vector<std::pair<std::string, Value>>;

// A call's arguments: positional, then keyword.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
  // The named argument, else positional `index`, else null.
  const Value* get(const std::string& name, std::size_t index) const;
};
using Function = std::function<Value(const CallArgs&)>;

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kFunction };

  Value() = default;  // undefined
  static Value none();
  Value(bool b);  // NOLINT(google-explicit-constructor): literals read naturally
  Value(std::int64_t i);
  Value(int i) : Value(static_cast<std::int64_t>(i)) {}
  Value(double d);
  Value(std::string s);
  Value(const char* s) : Value(std::string(s)) {}
  Value(ValueList list);
  Value(ValueDict dict);
  Value(Function f);
  // A name that was never defined: `name` is kept for the error an access raises.
  static Value undefined(std::string name = "");
  static Value namespace_of(ValueDict attributes);
  // A Python tuple: a list that prints as (a, b) (items(), literals in parentheses).
  static Value tuple_of(ValueList items);
  // JSON objects keep their key order (as Python's json.loads does) only from ordered_json:
  // parse users' messages and tools with nlohmann::ordered_json.
  static Value from_json(const nlohmann::ordered_json& j);
  static Value from_json(const nlohmann::json& j);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_number() const { return is_int() || is_float(); }  // bools are not, as jinja2's test
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_function() const { return kind_ == Kind::kFunction; }
  bool is_namespace() const { return is_dict() && namespace_; }

  bool as_bool() const { return b_; }
  std::int64_t as_int() const { return i_; }
  double as_number() const { return is_float() ? d_ : static_cast<double>(i_); }
  const std::string& as_string() const { return *s_; }
  ValueList& list() const { return *list_; }
  ValueDict& dict() const { return *dict_; }
  const Function& function() const { return *f_; }
  const std::string& undefined_name() const { return *s_; }

  // Python's bool(x).
  bool truthy() const;
  // Python's str(x) (what {{ x }} prints; undefined prints nothing) and repr(x).
  std::string str() const;
  std::string repr() const;
  // Python's ==.
  bool equals(const Value& other) const;
  // The dict entry for `key`, or null.
  const Value* find(const std::string& key) const;
  // Python's len(): code points of a string, entries of a list or dict; throws otherwise.
  std::int64_t length() const;
  // The type name Python would give, for messages.
  std::string type_name() const;

 private:
  Kind kind_ = Kind::kUndefined;
  bool b_ = false;
  bool namespace_ = false;
  bool tuple_ = false;
  std::int64_t i_ = 0;
  double d_ = 0;
  std::shared_ptr<std::string> s_;
  std::shared_ptr<ValueList> list_;
  std::shared_ptr<ValueDict> dict_;
  std::shared_ptr<Function> f_;
};

// Python's repr of a float (the shortest string that reads back, "1.0", "1e-05", "inf").
std::string python_float(double d);
// json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=sort_keys) as transformers'
// tojson filter calls it; indent < 0: none.
std::string to_json(const Value& value, int indent, bool sort_keys);

}  // namespace chosei::jinja
