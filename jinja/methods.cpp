#include "jinja/methods.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "base/unicode_text.h"

namespace chosei::jinja {

namespace {

std::u32string to_u32(const std::string& s) {
  std::u32string out;
  for (const auto& c : decode_utf8(s)) out += c.cp;
  return out;
}

std::string from_u32(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

bool python_space(char32_t c) { return is_whitespace(c) || (c >= 0x1c && c <= 0x1f); }

const Value& arg(const CallArgs& a, const std::string& name, std::size_t index) {
  static const Value missing;
  const Value* v = a.get(name, index);
  return v ? *v : missing;
}

std::string need_string(const Value& v, const char* method) {
  if (!v.is_string())
    throw std::runtime_error(std::string(method) + "() argument must be str, not " + v.type_name());
  return v.as_string();
}

// str.split / rsplit: on runs of whitespace when sep is none, else on sep exactly.
Value split(const std::string& s, const Value& sep, const Value& max_split, bool from_right) {
  std::int64_t limit = max_split.is_int() ? max_split.as_int() : -1;
  std::vector<std::string> parts;
  if (sep.is_none() || sep.is_undefined()) {
    const auto u = to_u32(s);
    std::vector<std::pair<std::size_t, std::size_t>> words;
    for (std::size_t k = 0; k < u.size();) {
      while (k < u.size() && python_space(u[k])) ++k;
      if (k >= u.size()) break;
      std::size_t e = k;
      while (e < u.size() && !python_space(u[e])) ++e;
      words.emplace_back(k, e);
      k = e;
    }
    if (limit >= 0 && static_cast<std::int64_t>(words.size()) > limit + 1) {
      if (from_right) {
        const auto keep = words.size() - static_cast<std::size_t>(limit);
        std::size_t end = words[keep - 1].second;
        parts.push_back(from_u32(u.substr(words[0].first, end - words[0].first)));
        for (std::size_t k = keep; k < words.size(); ++k)
          parts.push_back(from_u32(u.substr(words[k].first, words[k].second - words[k].first)));
      } else {
        for (std::int64_t k = 0; k < limit; ++k)
          parts.push_back(from_u32(u.substr(words[k].first, words[k].second - words[k].first)));
        std::size_t start = words[static_cast<std::size_t>(limit)].first, end = u.size();
        while (end > start && python_space(u[end - 1])) --end;
        parts.push_back(from_u32(u.substr(start, end - start)));
      }
    } else {
      for (auto [b, e] : words) parts.push_back(from_u32(u.substr(b, e - b)));
    }
  } else {
    const std::string d = need_string(sep, "split");
    if (d.empty()) throw std::runtime_error("empty separator");
    if (!from_right) {
      std::size_t pos = 0, hit;
      while ((limit < 0 || static_cast<std::int64_t>(parts.size()) < limit) &&
             (hit = s.find(d, pos)) != std::string::npos) {
        parts.push_back(s.substr(pos, hit - pos));
        pos = hit + d.size();
      }
      parts.push_back(s.substr(pos));
    } else {
      std::size_t end = s.size();
      std::vector<std::string> reversed;
      while (limit < 0 || static_cast<std::int64_t>(reversed.size()) < limit) {
        if (end < d.size()) break;
        const auto hit = s.rfind(d, end - d.size());
        if (hit == std::string::npos) break;
        reversed.push_back(s.substr(hit + d.size(), end - hit - d.size()));
        end = hit;
      }
      reversed.push_back(s.substr(0, end));
      parts.assign(reversed.rbegin(), reversed.rend());
    }
  }
  ValueList out;
  for (auto& p : parts) out.emplace_back(std::move(p));
  return Value(std::move(out));
}

bool affix(const std::string& s, const Value& what, bool prefix) {
  auto one = [&](const Value& v) {
    const std::string a = need_string(v, prefix ? "startswith" : "endswith");
    if (a.size() > s.size()) return false;
    return prefix ? s.compare(0, a.size(), a) == 0
                  : s.compare(s.size() - a.size(), a.size(), a) == 0;
  };
  if (what.is_list()) {
    for (const auto& v : what.list())
      if (one(v)) return true;
    return false;
  }
  return one(what);
}

std::string replace(const std::string& s, const std::string& from, const std::string& to,
                    std::int64_t count) {
  if (from.empty()) {
    std::string out;
    std::int64_t n = 0;
    for (const auto& c : decode_utf8(s)) {
      if (count < 0 || n++ < count) out += to;
      out.append(s, c.offset, c.length);
    }
    if (count < 0 || n < count) out += to;
    return out;
  }
  std::string out;
  std::size_t pos = 0, hit;
  std::int64_t n = 0;
  while ((count < 0 || n < count) && (hit = s.find(from, pos)) != std::string::npos) {
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
    ++n;
  }
  return out + s.substr(pos);
}

std::string title_case(const std::string& s) {
  std::string out;
  bool previous_cased = false;
  for (const auto& c : decode_utf8(s)) {
    std::string piece = s.substr(c.offset, c.length);
    const bool letter = is_letter(c.cp);
    out += letter ? (previous_cased ? to_lower(piece) : to_upper(piece)) : piece;
    previous_cased = letter;
  }
  return out;
}

Value string_method(const std::string& s, const std::string& name) {
  auto method = [](auto body) { return Value(Function(body)); };
  if (name == "strip" || name == "lstrip" || name == "rstrip")
    return method([s, name](const CallArgs& a) {
      return Value(strip(s, arg(a, "chars", 0), name != "rstrip", name != "lstrip"));
    });
  if (name == "split" || name == "rsplit")
    return method([s, name](const CallArgs& a) {
      return split(s, arg(a, "sep", 0), arg(a, "maxsplit", 1), name == "rsplit");
    });
  if (name == "startswith" || name == "endswith")
    return method([s, name](const CallArgs& a) {
      return Value(affix(s, arg(a, "prefix", 0), name == "startswith"));
    });
  if (name == "replace")
    return method([s](const CallArgs& a) {
      const Value& count = arg(a, "count", 2);
      return Value(replace(s, need_string(arg(a, "old", 0), "replace"),
                           need_string(arg(a, "new", 1), "replace"),
                           count.is_int() ? count.as_int() : -1));
    });
  if (name == "upper") return method([s](const CallArgs&) { return Value(to_upper(s)); });
  if (name == "lower") return method([s](const CallArgs&) { return Value(to_lower(s)); });
  if (name == "title") return method([s](const CallArgs&) { return Value(title_case(s)); });
  if (name == "capitalize")
    return method([s](const CallArgs&) {
      const auto cps = decode_utf8(s);
      if (cps.empty()) return Value(s);
      return Value(to_upper(s.substr(0, cps[0].length)) + to_lower(s.substr(cps[0].length)));
    });
  if (name == "find" || name == "rfind" || name == "count" || name == "index")
    return method([s, name](const CallArgs& a) {
      const std::string what = need_string(arg(a, "sub", 0), name.c_str());
      if (name == "count") {
        std::int64_t n = 0;
        for (std::size_t p = 0; !what.empty() && (p = s.find(what, p)) != std::string::npos;
             p += what.size())
          ++n;
        return Value(what.empty() ? Value(s).length() + 1 : n);
      }
      const auto hit = name == "rfind" ? s.rfind(what) : s.find(what);
      if (hit == std::string::npos) {
        if (name == "index") throw std::runtime_error("substring not found");
        return Value(std::int64_t{-1});
      }
      return Value(static_cast<std::int64_t>(decode_utf8(s.substr(0, hit)).size()));
    });
  if (name == "join")
    return method([s](const CallArgs& a) {
      const Value& items = arg(a, "iterable", 0);
      std::string out;
      if (!items.is_list()) throw std::runtime_error("can only join an iterable");
      for (std::size_t k = 0; k < items.list().size(); ++k)
        out += (k ? s : "") + need_string(items.list()[k], "join");
      return Value(out);
    });
  if (name == "splitlines")
    return method([s](const CallArgs&) {
      ValueList out;
      std::size_t start = 0;
      for (std::size_t k = 0; k < s.size(); ++k) {
        if (s[k] != '\n' && s[k] != '\r') continue;
        out.emplace_back(s.substr(start, k - start));
        if (s[k] == '\r' && k + 1 < s.size() && s[k + 1] == '\n') ++k;
        start = k + 1;
      }
      if (start < s.size()) out.emplace_back(s.substr(start));
      return Value(std::move(out));
    });
  if (name == "isdigit" || name == "isspace" || name == "isalpha" || name == "isupper" ||
      name == "islower")
    return method([s, name](const CallArgs&) {
      if (s.empty()) return Value(false);
      bool cased = false;
      for (const auto& c : decode_utf8(s)) {
        const bool ok = name == "isdigit"   ? (c.cp >= '0' && c.cp <= '9')
                        : name == "isspace" ? python_space(c.cp)
                        : name == "isalpha" ? is_letter(c.cp)
                                            : true;
        if (!ok) return Value(false);
        if (name == "isupper" || name == "islower") {
          const std::string piece = s.substr(c.offset, c.length);
          if (to_lower(piece) != to_upper(piece)) cased = true;
          if (name == "isupper" ? to_upper(piece) != piece : to_lower(piece) != piece)
            return Value(false);
        }
      }
      return Value(name == "isupper" || name == "islower" ? cased : true);
    });
  return Value::undefined(name);
}

Value dict_method(const Value& d, const std::string& name) {
  if (name == "get")
    return Value(Function([d](const CallArgs& a) {
      const Value& key = arg(a, "key", 0);
      const Value* found = key.is_string() ? d.find(key.as_string()) : nullptr;
      if (found) return *found;
      const Value* fallback = a.get("default", 1);
      return fallback ? *fallback : Value::none();
    }));
  if (name == "items" || name == "keys" || name == "values")
    return Value(Function([d, name](const CallArgs&) {
      ValueList out;
      for (const auto& [k, v] : d.dict()) {
        if (name == "items")
          out.push_back(Value::tuple_of({Value(k), v}));
        else
          out.push_back(name == "keys" ? Value(k) : v);
      }
      return Value(std::move(out));
    }));
  return Value::undefined(name);
}

const std::set<std::string>& mutating_methods() {
  static const std::set<std::string> names = {"append",  "extend", "insert", "pop",
                                              "remove",  "clear",  "update", "setdefault",
                                              "popitem", "sort",   "reverse"};
  return names;
}

}  // namespace

std::string strip(const std::string& s, const Value& chars, bool left, bool right) {
  const auto u = to_u32(s);
  std::u32string set;
  const bool whitespace = chars.is_none() || chars.is_undefined();
  if (!whitespace) set = to_u32(need_string(chars, "strip"));
  auto strip_it = [&](char32_t c) {
    return whitespace ? python_space(c) : set.find(c) != std::u32string::npos;
  };
  std::size_t b = 0, e = u.size();
  if (left)
    while (b < e && strip_it(u[b])) ++b;
  if (right)
    while (e > b && strip_it(u[e - 1])) --e;
  return from_u32(u.substr(b, e - b));
}

Value get_attribute(const Value& object, const std::string& name) {
  if (object.is_undefined())
    throw std::runtime_error(
        "'" + (object.undefined_name().empty() ? std::string("value") : object.undefined_name()) +
        "' is undefined");
  if (object.is_namespace()) {
    const Value* v = object.find(name);
    return v ? *v : Value::undefined(name);
  }
  if ((object.is_list() || object.is_dict()) && mutating_methods().count(name))
    throw std::runtime_error("access to attribute '" + name + "' of '" + object.type_name() +
                             "' object is unsafe.");
  if (object.is_string()) return string_method(object.as_string(), name);
  if (object.is_dict()) {
    Value method = dict_method(object, name);
    if (!method.is_undefined()) return method;
    const Value* v = object.find(name);
    return v ? *v : Value::undefined(name);
  }
  return Value::undefined(name);
}

Value get_item(const Value& object, const Value& key) {
  if (object.is_undefined())
    throw std::runtime_error(
        "'" + (object.undefined_name().empty() ? std::string("value") : object.undefined_name()) +
        "' is undefined");
  if (object.is_dict() && key.is_string()) {
    const Value* v = object.find(key.as_string());
    if (v) return *v;
    return object.is_namespace() ? Value::undefined(key.as_string())
                                 : get_attribute(object, key.as_string());
  }
  if ((object.is_list() || object.is_string()) && (key.is_int() || key.is_bool())) {
    const std::int64_t n = object.length();
    std::int64_t i = key.is_bool() ? (key.as_bool() ? 1 : 0) : key.as_int();
    if (i < 0) i += n;
    if (i < 0 || i >= n) return Value::undefined();
    if (object.is_list()) return object.list()[static_cast<std::size_t>(i)];
    const auto u = to_u32(object.as_string());
    return Value(from_u32(u.substr(static_cast<std::size_t>(i), 1)));
  }
  if (key.is_string()) return get_attribute(object, key.as_string());
  return Value::undefined();
}

Value slice(const Value& object, const Value& start, const Value& stop, const Value& step) {
  auto given = [](const Value& v) { return !(v.is_none() || v.is_undefined()); };
  const std::int64_t n = object.length();
  const std::int64_t st = given(step) ? step.as_int() : 1;
  if (st == 0) throw std::runtime_error("slice step cannot be zero");
  auto clamp = [&](const Value& v, std::int64_t fallback) {
    if (!given(v)) return fallback;
    std::int64_t i = v.as_int();
    if (i < 0) i += n;
    if (st > 0) return std::clamp<std::int64_t>(i, 0, n);
    return std::clamp<std::int64_t>(i, -1, n - 1);
  };
  const std::int64_t b = clamp(start, st > 0 ? 0 : n - 1), e = clamp(stop, st > 0 ? n : -1);
  std::vector<std::int64_t> picks;
  for (std::int64_t i = b; st > 0 ? i < e : i > e; i += st) picks.push_back(i);
  if (object.is_list()) {
    ValueList out;
    for (auto i : picks) out.push_back(object.list()[static_cast<std::size_t>(i)]);
    return Value(std::move(out));
  }
  if (!object.is_string())
    throw std::runtime_error("'" + object.type_name() + "' is not sliceable");
  const auto u = to_u32(object.as_string());
  std::u32string out;
  for (auto i : picks) out += u[static_cast<std::size_t>(i)];
  return Value(from_u32(out));
}

}  // namespace chosei::jinja
