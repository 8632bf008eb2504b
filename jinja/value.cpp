#include "jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "base/unicode_text.h"

namespace chosei::jinja {

const Value* CallArgs::get(const std::string& name, std::size_t index) const {
  for (const auto& [key, value] : keyword)
    if (key == name) return &value;
  return index < positional.size() ? &positional[index] : nullptr;
}

Value Value::none() {
  Value v;
  v.kind_ = Kind::kNone;
  return v;
}

Value::Value(bool b) : kind_(Kind::kBool), b_(b) {}
Value::Value(std::int64_t i) : kind_(Kind::kInt), i_(i) {}
Value::Value(double d) : kind_(Kind::kFloat), d_(d) {}
Value::Value(std::string s)
    : kind_(Kind::kString), s_(std::make_shared<std::string>(std::move(s))) {}
Value::Value(ValueList list)
    : kind_(Kind::kList), list_(std::make_shared<ValueList>(std::move(list))) {}
Value::Value(ValueDict dict)
    : kind_(Kind::kDict), dict_(std::make_shared<ValueDict>(std::move(dict))) {}
Value::Value(Function f) : kind_(Kind::kFunction), f_(std::make_shared<Function>(std::move(f))) {}

Value Value::undefined(std::string name) {
  Value v;
  v.s_ = std::make_shared<std::string>(std::move(name));
  return v;
}

Value Value::tuple_of(ValueList items) {
  Value v(std::move(items));
  v.tuple_ = true;
  return v;
}

Value Value::namespace_of(ValueDict attributes) {
  Value v(std::move(attributes));
  v.namespace_ = true;
  return v;
}

namespace {

template <typename Json>
Value value_from_json(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return Value::none();
    case Json::value_t::boolean:
      return Value(j.template get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return Value(j.template get<std::int64_t>());
    case Json::value_t::number_float:
      return Value(j.template get<double>());
    case Json::value_t::string:
      return Value(j.template get<std::string>());
    case Json::value_t::array: {
      ValueList list;
      for (const auto& e : j) list.push_back(value_from_json(e));
      return Value(std::move(list));
    }
    case Json::value_t::object: {
      ValueDict dict;
      for (const auto& [k, e] : j.items()) dict.emplace_back(k, value_from_json(e));
      return Value(std::move(dict));
    }
    default:
      throw std::invalid_argument("a JSON value of an unsupported type");
  }
}

}  // namespace

Value Value::from_json(const nlohmann::ordered_json& j) { return value_from_json(j); }
Value Value::from_json(const nlohmann::json& j) { return value_from_json(j); }

bool Value::truthy() const {
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return b_;
    case Kind::kInt:
      return i_ != 0;
    case Kind::kFloat:
      return d_ != 0;
    case Kind::kString:
      return !s_->empty();
    case Kind::kList:
      return !list_->empty();
    case Kind::kDict:
      return !dict_->empty();
    case Kind::kFunction:
      return true;
  }
  return false;
}

std::string python_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific).ptr;
  std::string sci(buf, end);  // "-d.ddde+XX"
  const auto e = sci.find('e');
  const int exponent = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (std::size_t k = 0; k < e; ++k)
    if (std::isdigit(static_cast<unsigned char>(sci[k]))) digits += sci[k];
  const std::string sign = d < 0 ? "-" : "";
  if (exponent < -4 || exponent >= 16) {  // Python's repr switches to exponents there
    std::string mantissa = digits.substr(0, 1);
    if (digits.size() > 1) mantissa += "." + digits.substr(1);
    char exp[16];
    std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return sign + mantissa + exp;
  }
  std::string out;
  if (exponent < 0) {
    out = "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  } else {
    const auto point = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= point)
      out = digits + std::string(point - digits.size(), '0') + ".0";
    else
      out = digits.substr(0, point) + "." + digits.substr(point);
  }
  return sign + out;
}

namespace {

std::string quote_python(const std::string& s) {
  const bool single = s.find('\'') == std::string::npos || s.find('"') != std::string::npos;
  const char q = single ? '\'' : '"';
  std::string out(1, q);
  for (unsigned char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == q) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + q;
}

}  // namespace

std::string Value::str() const {
  switch (kind_) {
    case Kind::kUndefined:
      return "";
    case Kind::kString:
      return *s_;
    default:
      return repr();
  }
}

std::string Value::repr() const {
  switch (kind_) {
    case Kind::kUndefined:
      return "";
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return b_ ? "True" : "False";
    case Kind::kInt:
      return std::to_string(i_);
    case Kind::kFloat:
      return python_float(d_);
    case Kind::kString:
      return quote_python(*s_);
    case Kind::kList: {
      std::string out = tuple_ ? "(" : "[";
      for (std::size_t k = 0; k < list_->size(); ++k) out += (k ? ", " : "") + (*list_)[k].repr();
      if (tuple_) return out + (list_->size() == 1 ? ",)" : ")");
      return out + "]";
    }
    case Kind::kDict: {
      if (namespace_) return "<Namespace>";
      std::string out = "{";
      for (std::size_t k = 0; k < dict_->size(); ++k)
        out += (k ? ", " : "") + quote_python((*dict_)[k].first) + ": " + (*dict_)[k].second.repr();
      return out + "}";
    }
    case Kind::kFunction:
      return "<function>";
  }
  return "";
}

bool Value::equals(const Value& o) const {
  if (is_number() || is_bool()) {
    if (!(o.is_number() || o.is_bool())) return false;
    auto num = [](const Value& v) { return v.is_bool() ? (v.b_ ? 1.0 : 0.0) : v.as_number(); };
    if ((is_int() || is_bool()) && (o.is_int() || o.is_bool()))
      return (is_bool() ? b_ : i_) == (o.is_bool() ? o.b_ : o.i_);
    return num(*this) == num(o);
  }
  if (kind_ != o.kind_) return false;
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNone:
      return true;
    case Kind::kString:
      return *s_ == *o.s_;
    case Kind::kList:
      if (list_->size() != o.list_->size()) return false;
      for (std::size_t k = 0; k < list_->size(); ++k)
        if (!(*list_)[k].equals((*o.list_)[k])) return false;
      return true;
    case Kind::kDict:
      if (dict_->size() != o.dict_->size()) return false;
      for (const auto& [key, value] : *dict_) {
        const Value* other = o.find(key);
        if (!other || !value.equals(*other)) return false;
      }
      return true;
    case Kind::kFunction:
      return f_ == o.f_;
    default:
      return false;
  }
}

const Value* Value::find(const std::string& key) const {
  if (!is_dict()) return nullptr;
  for (const auto& [k, v] : *dict_)
    if (k == key) return &v;
  return nullptr;
}

std::int64_t Value::length() const {
  if (is_string()) return static_cast<std::int64_t>(decode_utf8(*s_).size());
  if (is_list()) return static_cast<std::int64_t>(list_->size());
  if (is_dict()) return static_cast<std::int64_t>(dict_->size());
  throw std::runtime_error("object of type '" + type_name() + "' has no len()");
}

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      return "list";
    case Kind::kDict:
      return namespace_ ? "Namespace" : "dict";
    case Kind::kFunction:
      return "function";
  }
  return "object";
}

namespace {

void json_string(const std::string& s, std::string& out) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void json_value(const Value& v, int indent, bool sort_keys, int depth, std::string& out) {
  const std::string item_sep = indent >= 0 ? "," : ", ";
  auto newline = [&](int level) {
    if (indent < 0) return;
    out += '\n';
    out += std::string(static_cast<std::size_t>(indent * level), ' ');
  };
  switch (v.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      out += "null";
      return;
    case Value::Kind::kBool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Kind::kInt:
      out += std::to_string(v.as_int());
      return;
    case Value::Kind::kFloat: {
      const double d = v.as_number();
      out += std::isnan(d)   ? "NaN"
             : std::isinf(d) ? (d > 0 ? "Infinity" : "-Infinity")
                             : python_float(d);
      return;
    }
    case Value::Kind::kString:
      json_string(v.as_string(), out);
      return;
    case Value::Kind::kList: {
      if (v.list().empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (std::size_t k = 0; k < v.list().size(); ++k) {
        if (k) out += item_sep;
        newline(depth + 1);
        json_value(v.list()[k], indent, sort_keys, depth + 1, out);
      }
      newline(depth);
      out += ']';
      return;
    }
    case Value::Kind::kDict: {
      if (v.dict().empty()) {
        out += "{}";
        return;
      }
      std::vector<const std::pair<std::string, Value>*> entries;
      for (const auto& e : v.dict()) entries.push_back(&e);
      if (sort_keys)
        std::stable_sort(entries.begin(), entries.end(),
                         [](const auto* a, const auto* b) { return a->first < b->first; });
      out += '{';
      for (std::size_t k = 0; k < entries.size(); ++k) {
        if (k) out += item_sep;
        newline(depth + 1);
        json_string(entries[k]->first, out);
        out += ": ";
        json_value(entries[k]->second, indent, sort_keys, depth + 1, out);
      }
      newline(depth);
      out += '}';
      return;
    }
    case Value::Kind::kFunction:
      throw std::runtime_error("Object of type function is not JSON serializable");
  }
}

}  // namespace

std::string to_json(const Value& value, int indent, bool sort_keys) {
  std::string out;
  json_value(value, indent, sort_keys, 0, out);
  return out;
}

}  // namespace chosei::jinja
