#pragma once
// jinja2's filters and tests that chat templates use, with jinja2's arguments and results,
// and transformers' tojson (json.dumps with ensure_ascii=False). An unknown name is an error
// naming it, as jinja2's "No filter named ..." is.

#include <string>

#include "jinja/value.h"

namespace chosei::jinja {

// `value | name(args)`. Throws std::runtime_error.
Value apply_filter(const std::string& name, const Value& value, const CallArgs& args);
// `value is name(args)`.
bool apply_test(const std::string& name, const Value& value, const CallArgs& args);
// Python's comparisons between numbers, strings and lists (<, <=, >, >=); throws otherwise.
bool less_than(const Value& a, const Value& b);
// Python's `a in b`: a substring, a list element or a dict key.
bool contains(const Value& container, const Value& item);

}  // namespace chosei::jinja
