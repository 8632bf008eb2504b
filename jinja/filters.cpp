#include "jinja/filters.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "base/unicode_text.h"
#include "jinja/methods.h"

namespace chosei::jinja {

namespace {

// int(x) of a float, refused where Python raises OverflowError or ValueError (inf, nan) and
// where 64 bits end.
std::int64_t float_to_int(double d) {
  if (!std::isfinite(d))
    throw std::runtime_error("cannot convert float " +
                             std::string(std::isnan(d) ? "NaN" : "infinity") + " to integer");
  if (d >= 9.2233720368547758e18 || d < -9.2233720368547758e18)
    throw std::runtime_error("the integer is past 64 bits");
  return static_cast<std::int64_t>(d);
}

const Value& arg(const CallArgs& a, const std::string& name, std::size_t index) {
  static const Value missing;
  const Value* v = a.get(name, index);
  return v ? *v : missing;
}

bool given(const Value& v) { return !v.is_undefined(); }

// Iterating a value as jinja2 does: list items, dict keys, string characters.
ValueList items_of(const Value& v) {
  if (v.is_list()) return v.list();
  if (v.is_undefined() || v.is_none()) {
    if (v.is_none()) throw std::runtime_error("'NoneType' object is not iterable");
    return {};
  }
  ValueList out;
  if (v.is_dict()) {
    for (const auto& [k, e] : v.dict()) out.emplace_back(k);
    return out;
  }
  if (v.is_string()) {
    const std::string& s = v.as_string();
    for (const auto& c : decode_utf8(s)) out.emplace_back(s.substr(c.offset, c.length));
    return out;
  }
  throw std::runtime_error("'" + v.type_name() + "' object is not iterable");
}

// A call's arguments after the first `skip` positional ones.
CallArgs rest(const CallArgs& a, std::size_t skip) {
  CallArgs r;
  for (std::size_t k = skip; k < a.positional.size(); ++k) r.positional.push_back(a.positional[k]);
  r.keyword = a.keyword;
  return r;
}

Value attribute_path(const Value& v, const std::string& path) {
  Value cur = v;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    const std::string part = path.substr(start, dot - start);
    const bool index =
        !part.empty() && part.size() < 19 && std::all_of(part.begin(), part.end(), ::isdigit);
    cur = index ? get_item(cur, Value(static_cast<std::int64_t>(std::stoll(part))))
                : get_item(cur, Value(part));
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

// markupsafe's entities (&#34;, &#39;), which templates' output must match byte for byte;
// base/html_text's escape writes &quot; for pages.
std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Value select(const Value& value, const CallArgs& a, bool keep, bool by_attribute) {
  ValueList out;
  const std::size_t first = by_attribute ? 1 : 0;
  const Value& test_name = arg(a, "", first);
  const CallArgs test_args = rest(a, first + 1);
  for (const auto& item : items_of(value)) {
    const Value subject =
        by_attribute ? attribute_path(item, arg(a, "attribute", 0).as_string()) : item;
    const bool passed = test_name.is_string()
                            ? apply_test(test_name.as_string(), subject, test_args)
                            : subject.truthy();
    if (passed == keep) out.push_back(item);
  }
  return Value(std::move(out));
}

Value map(const Value& value, const CallArgs& a) {
  ValueList out;
  const Value& attribute = arg(a, "attribute", std::size_t(-1));
  if (given(attribute)) {
    const Value& fallback = arg(a, "default", std::size_t(-1));
    for (const auto& item : items_of(value)) {
      Value got = attribute_path(item, attribute.as_string());
      out.push_back(got.is_undefined() && given(fallback) ? fallback : got);
    }
    return Value(std::move(out));
  }
  const Value& name = arg(a, "", 0);
  if (!name.is_string()) throw std::runtime_error("map() needs a filter name or attribute=");
  const CallArgs filter_args = rest(a, 1);
  for (const auto& item : items_of(value))
    out.push_back(apply_filter(name.as_string(), item, filter_args));
  return Value(std::move(out));
}

Value sorted(const Value& value, const CallArgs& a) {
  ValueList list = items_of(value);
  const Value& attribute = arg(a, "attribute", 2);
  const bool reverse = arg(a, "reverse", 0).truthy();
  const bool case_sensitive = arg(a, "case_sensitive", 1).truthy();
  auto key = [&](const Value& v) {
    Value k = given(attribute) ? attribute_path(v, attribute.as_string()) : v;
    return k.is_string() && !case_sensitive ? Value(to_lower(k.as_string())) : k;
  };
  std::stable_sort(list.begin(), list.end(),
                   [&](const Value& x, const Value& y) { return less_than(key(x), key(y)); });
  if (reverse) std::reverse(list.begin(), list.end());
  return Value(std::move(list));
}

std::string indent(const std::string& s, const CallArgs& a) {
  const Value& width = arg(a, "width", 0);
  const std::string pad =
      width.is_string() ? width.as_string() : std::string(given(width) ? width.as_int() : 4, ' ');
  const bool first = arg(a, "first", 1).truthy(), blank = arg(a, "blank", 2).truthy();
  std::string out;
  std::size_t start = 0;
  bool first_line = true;
  while (true) {
    const auto nl = s.find('\n', start);
    const std::string line =
        s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if ((!first_line || first) && (blank || !line.empty())) out += pad;
    out += line;
    if (nl == std::string::npos) break;
    out += '\n';
    start = nl + 1;
    first_line = false;
  }
  return out;
}

Value numeric(const Value& v, bool to_int, const Value& fallback) {
  if (v.is_int() || v.is_bool())
    return to_int ? Value(v.is_bool() ? std::int64_t(v.as_bool()) : v.as_int())
                  : Value(v.is_bool() ? double(v.as_bool()) : v.as_number());
  if (v.is_float()) return to_int ? Value(float_to_int(v.as_number())) : v;
  if (v.is_string()) {
    try {
      std::size_t used = 0;
      const std::string s = strip(v.as_string(), Value(), true, true);
      if (to_int) {
        const auto i = std::stoll(s, &used);
        if (used == s.size()) return Value(static_cast<std::int64_t>(i));
      }
      const double d = std::stod(s, &used);
      if (used == s.size()) return to_int ? Value(float_to_int(d)) : Value(d);
    } catch (const std::exception&) {
    }
  }
  return given(fallback) ? fallback : to_int ? Value(std::int64_t{0}) : Value(0.0);
}

}  // namespace

bool less_than(const Value& a, const Value& b) {
  if ((a.is_number() || a.is_bool()) && (b.is_number() || b.is_bool())) {
    auto num = [](const Value& v) { return v.is_bool() ? double(v.as_bool()) : v.as_number(); };
    return num(a) < num(b);
  }
  if (a.is_string() && b.is_string()) return a.as_string() < b.as_string();
  if (a.is_list() && b.is_list()) {
    const auto& x = a.list();
    const auto& y = b.list();
    for (std::size_t k = 0; k < x.size() && k < y.size(); ++k) {
      if (less_than(x[k], y[k])) return true;
      if (less_than(y[k], x[k])) return false;
    }
    return x.size() < y.size();
  }
  throw std::runtime_error("'<' not supported between instances of '" + a.type_name() + "' and '" +
                           b.type_name() + "'");
}

bool contains(const Value& container, const Value& item) {
  if (container.is_string()) {
    if (!item.is_string())
      throw std::runtime_error("'in <string>' requires string as left operand, not " +
                               item.type_name());
    return container.as_string().find(item.as_string()) != std::string::npos;
  }
  if (container.is_list()) {
    for (const auto& v : container.list())
      if (v.equals(item)) return true;
    return false;
  }
  if (container.is_dict()) return item.is_string() && container.find(item.as_string()) != nullptr;
  if (container.is_undefined()) return false;
  throw std::runtime_error("argument of type '" + container.type_name() + "' is not iterable");
}

Value apply_filter(const std::string& name, const Value& v, const CallArgs& a) {
  if (name == "tojson") {
    const Value& ind = arg(a, "indent", 0);
    return Value(to_json(v, ind.is_int() ? static_cast<int>(ind.as_int()) : -1,
                         arg(a, "sort_keys", std::size_t(-1)).truthy()));
  }
  if (name == "length" || name == "count") return Value(v.length());
  if (name == "string") return Value(v.str());
  if (name == "safe") return v;
  if (name == "e" || name == "escape") return Value(html_escape(v.str()));
  if (name == "default" || name == "d") {
    const bool boolean = arg(a, "boolean", 1).truthy();
    if (v.is_undefined() || (boolean && !v.truthy()))
      return given(arg(a, "default_value", 0)) ? arg(a, "default_value", 0) : Value("");
    return v;
  }
  if (name == "trim") return Value(strip(v.str(), arg(a, "chars", 0), true, true));
  if (name == "lower") return Value(to_lower(v.str()));
  if (name == "upper") return Value(to_upper(v.str()));
  if (name == "capitalize" || name == "title")
    return get_attribute(Value(v.str()), name).function()(CallArgs{});
  if (name == "replace") return get_attribute(Value(v.str()), "replace").function()(a);
  if (name == "join") {
    const Value& attribute = arg(a, "attribute", 1);
    std::string out;
    const std::string sep = given(arg(a, "d", 0)) ? arg(a, "d", 0).str() : "";
    const auto list = items_of(v);
    for (std::size_t k = 0; k < list.size(); ++k)
      out += (k ? sep : "") +
             (given(attribute) ? attribute_path(list[k], attribute.as_string()) : list[k]).str();
    return Value(out);
  }
  if (name == "first" || name == "last") {
    const auto list = items_of(v);
    if (list.empty()) return Value::undefined();
    return name == "first" ? list.front() : list.back();
  }
  if (name == "list") return Value(items_of(v));
  if (name == "reverse") {
    if (v.is_string()) return slice(v, Value(), Value(), Value(std::int64_t{-1}));
    auto list = items_of(v);
    std::reverse(list.begin(), list.end());
    return Value(std::move(list));
  }
  if (name == "unique") {
    ValueList out;
    for (const auto& item : items_of(v))
      if (std::none_of(out.begin(), out.end(), [&](const Value& o) { return o.equals(item); }))
        out.push_back(item);
    return Value(std::move(out));
  }
  if (name == "items") {
    ValueList out;
    if (v.is_dict())
      for (const auto& [k, e] : v.dict()) out.push_back(Value::tuple_of({Value(k), e}));
    return Value(std::move(out));
  }
  if (name == "dictsort") {
    ValueList pairs = apply_filter("items", v, {}).list();
    std::stable_sort(pairs.begin(), pairs.end(), [](const Value& x, const Value& y) {
      return to_lower(x.list()[0].as_string()) < to_lower(y.list()[0].as_string());
    });
    return Value(std::move(pairs));
  }
  if (name == "int" || name == "float") return numeric(v, name == "int", arg(a, "default", 0));
  if (name == "abs")
    return v.is_int() ? Value(static_cast<std::int64_t>(std::llabs(v.as_int())))
                      : Value(std::fabs(v.as_number()));
  if (name == "round") {
    const Value& p = arg(a, "precision", 0);
    const double scale = std::pow(10.0, given(p) ? static_cast<double>(p.as_int()) : 0.0);
    return Value(std::nearbyint(v.as_number() * scale) / scale);  // Python rounds half to even
  }
  if (name == "map") return map(v, a);
  if (name == "select" || name == "reject") return select(v, a, name == "select", false);
  if (name == "selectattr" || name == "rejectattr") return select(v, a, name == "selectattr", true);
  if (name == "sort") return sorted(v, a);
  if (name == "min" || name == "max" || name == "sum") {
    const auto list = items_of(v);
    if (name == "sum") {
      Value total = given(arg(a, "start", 1)) ? arg(a, "start", 1) : Value(std::int64_t{0});
      const Value& attribute = arg(a, "attribute", 0);
      for (const auto& item : list) {
        const Value x = given(attribute) ? attribute_path(item, attribute.as_string()) : item;
        total = total.is_int() && x.is_int() ? Value(total.as_int() + x.as_int())
                                             : Value(total.as_number() + x.as_number());
      }
      return total;
    }
    if (list.empty()) return Value::undefined();
    Value best = list.front();
    for (const auto& item : list)
      if (name == "min" ? less_than(item, best) : less_than(best, item)) best = item;
    return best;
  }
  if (name == "indent") return Value(indent(v.str(), a));
  if (name == "wordcount")
    return Value(static_cast<std::int64_t>(
        get_attribute(Value(v.str()), "split").function()({}).list().size()));
  if (name == "attr") return get_attribute(v, arg(a, "name", 0).as_string());
  throw std::runtime_error("No filter named '" + name + "'.");
}

bool apply_test(const std::string& name, const Value& v, const CallArgs& a) {
  const Value& other = arg(a, "", 0);
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "number") return v.is_number();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_dict();
  if (name == "iterable") return v.is_list() || v.is_dict() || v.is_string();
  if (name == "sequence") return v.is_list() || v.is_dict() || v.is_string();
  if (name == "callable") return v.is_function();
  if (name == "sameas") return v.equals(other) && v.kind() == other.kind();
  if (name == "eq" || name == "equalto" || name == "==") return v.equals(other);
  if (name == "ne" || name == "!=") return !v.equals(other);
  if (name == "lt" || name == "lessthan" || name == "<") return less_than(v, other);
  if (name == "gt" || name == "greaterthan" || name == ">") return less_than(other, v);
  if (name == "le" || name == "<=") return !less_than(other, v);
  if (name == "ge" || name == ">=") return !less_than(v, other);
  if (name == "in") return contains(other, v);
  if (name == "odd" || name == "even") return v.as_int() % 2 == (name == "odd" ? 1 : 0);
  if (name == "divisibleby") return v.as_int() % other.as_int() == 0;
  if (name == "lower") return v.is_string() && to_lower(v.as_string()) == v.as_string();
  if (name == "upper") return v.is_string() && to_upper(v.as_string()) == v.as_string();
  if (name == "escaped") return false;
  throw std::runtime_error("No test named '" + name + "'.");
}

}  // namespace chosei::jinja
