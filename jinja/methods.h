#pragma once
// Attribute and item access as jinja2's sandbox does it (x.name: the Python attribute first,
// then the item; x[key]: the item first, then the attribute), with the str and dict methods
// chat templates call (strip, split, startswith, replace, get, items, ...). What the
// immutable sandbox forbids (list.append, dict.update, ...) is refused with its message;
// anything else missing is undefined.

#include <string>

#include "jinja/value.h"

namespace chosei::jinja {

Value get_attribute(const Value& object, const std::string& name);
Value get_item(const Value& object, const Value& key);
// Python's slicing object[start:stop:step] (undefined/none parts omitted).
Value slice(const Value& object, const Value& start, const Value& stop, const Value& step);

// Python's str.strip / lstrip / rstrip with optional characters (whitespace when none).
std::string strip(const std::string& s, const Value& chars, bool left, bool right);

}  // namespace chosei::jinja
