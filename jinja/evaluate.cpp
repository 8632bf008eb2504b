// Expressions, with Python's semantics as jinja2 evaluates them: `and`/`or` give an operand,
// `+` adds numbers and joins strings and lists, `/` is true division, `//` and `%` floor,
// `~` joins str() of both sides, comparisons chain.

#include <cmath>
#include <cstdint>

#include "jinja/filters.h"
#include "jinja/methods.h"
#include "jinja/renderer.h"
#include "jinja/template_error.h"

namespace chosei::jinja {

namespace {

bool integral(const Value& v) { return v.is_int() || v.is_bool(); }
std::int64_t int_of(const Value& v) { return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int(); }
double num_of(const Value& v) { return v.is_bool() ? (v.as_bool() ? 1.0 : 0.0) : v.as_number(); }

// A template doubling a string in a loop would otherwise take all memory before the step
// limit stops it: a value is refused before it is built past these sizes.
constexpr std::size_t kMaxStringBytes = 256u << 20;
constexpr std::size_t kMaxListItems = 16u << 20;

void check_size(std::size_t size, bool string) {
  if (size > (string ? kMaxStringBytes : kMaxListItems))
    throw std::runtime_error(string ? "the template builds a string over 256 MiB"
                                    : "the template builds a list over 16M items");
}

// Python's integers do not overflow; chosei's 64-bit ones refuse a result past them.
std::int64_t checked(bool overflowed, std::int64_t value) {
  if (overflowed) throw std::runtime_error("the integer result is past 64 bits");
  return value;
}

std::int64_t integer_power(std::int64_t base, std::int64_t exponent) {
  std::int64_t result = 1, product = 0;
  while (exponent > 0) {  // by squaring: a huge exponent overflows in a few steps, or is 0/1/-1
    if (exponent & 1) {
      if (__builtin_mul_overflow(result, base, &product)) checked(true, 0);
      result = product;
    }
    exponent >>= 1;
    if (exponent > 0) {
      if (__builtin_mul_overflow(base, base, &product)) checked(true, 0);
      base = product;
    }
  }
  return result;
}

[[noreturn]] void unsupported(const std::string& op, const Value& a, const Value& b) {
  throw std::runtime_error("unsupported operand type(s) for " + op + ": '" + a.type_name() +
                           "' and '" + b.type_name() + "'");
}

Value arithmetic(const std::string& op, const Value& a, const Value& b) {
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      check_size(a.as_string().size() + b.as_string().size(), true);
      return Value(a.as_string() + b.as_string());
    }
    if (a.is_list() && b.is_list()) {
      check_size(a.list().size() + b.list().size(), false);
      ValueList out = a.list();
      out.insert(out.end(), b.list().begin(), b.list().end());
      return Value(std::move(out));
    }
  }
  if (op == "*" && (a.is_string() || a.is_list()) && integral(b)) {
    const std::int64_t n = std::max<std::int64_t>(0, int_of(b));
    const std::size_t unit = a.is_string() ? a.as_string().size() : a.list().size();
    if (unit > 0)
      check_size(n > 1'000'000'000 ? SIZE_MAX : unit * static_cast<std::size_t>(n), a.is_string());
    if (a.is_string()) {
      std::string out;
      for (std::int64_t k = 0; k < n; ++k) out += a.as_string();
      return Value(out);
    }
    ValueList out;
    for (std::int64_t k = 0; k < n; ++k) out.insert(out.end(), a.list().begin(), a.list().end());
    return Value(std::move(out));
  }
  const bool numbers = (a.is_number() || a.is_bool()) && (b.is_number() || b.is_bool());
  if (!numbers) unsupported(op, a, b);
  const bool ints = integral(a) && integral(b);
  if (op == "/") {
    if (num_of(b) == 0) throw std::runtime_error("division by zero");
    return Value(num_of(a) / num_of(b));
  }
  if (ints) {
    const std::int64_t x = int_of(a), y = int_of(b);
    std::int64_t z = 0;
    bool past = false;
    if (op == "+" || op == "-" || op == "*") {
      past = op == "+"   ? __builtin_add_overflow(x, y, &z)
             : op == "-" ? __builtin_sub_overflow(x, y, &z)
                         : __builtin_mul_overflow(x, y, &z);
      return Value(checked(past, z));
    }
    if (op == "//" || op == "%") {
      if (y == 0) throw std::runtime_error("integer division or modulo by zero");
      if (x == INT64_MIN && y == -1) checked(true, 0);
      std::int64_t q = x / y, r = x % y;
      if (r != 0 && ((r < 0) != (y < 0))) --q, r += y;  // Python floors
      return Value(op == "//" ? q : r);
    }
    if (op == "**" && y >= 0) return Value(integer_power(x, y));
  }
  const double x = num_of(a), y = num_of(b);
  if (op == "+") return Value(x + y);
  if (op == "-") return Value(x - y);
  if (op == "*") return Value(x * y);
  if (op == "**") return Value(std::pow(x, y));
  if (y == 0) throw std::runtime_error("float division by zero");
  if (op == "//") return Value(std::floor(x / y));
  if (op == "%") return Value(x - std::floor(x / y) * y);
  unsupported(op, a, b);
}

}  // namespace

CallArgs Renderer::arguments(const Expr& e, std::size_t first) {
  CallArgs args;
  for (std::size_t k = first; k < e.children.size(); ++k)
    args.positional.push_back(evaluate(*e.children[k]));
  for (const auto& [name, value] : e.keywords) args.keyword.emplace_back(name, evaluate(*value));
  return args;
}

Value Renderer::call(const Expr& e) {
  const Value callee = evaluate(*e.children[0]);
  if (!callee.is_function()) {
    std::string what = e.children[0]->kind == Expr::Kind::kAttribute ? e.children[0]->name
                       : e.children[0]->kind == Expr::Kind::kName    ? e.children[0]->name
                                                                     : "value";
    if (callee.is_undefined()) throw std::runtime_error("'" + what + "' is undefined");
    throw std::runtime_error("'" + callee.type_name() + "' object is not callable");
  }
  return callee.function()(arguments(e, 1));
}

Value Renderer::binary(const Expr& e) {
  const std::string& op = e.name;
  const Value left = evaluate(*e.children[0]);
  if (op == "and") return left.truthy() ? evaluate(*e.children[1]) : left;
  if (op == "or") return left.truthy() ? left : evaluate(*e.children[1]);
  const Value right = evaluate(*e.children[1]);
  if (op == "~") {
    std::string joined = left.str();
    check_size(joined.size() + right.str().size(), true);
    return Value(joined + right.str());
  }
  return arithmetic(op, left, right);
}

Value Renderer::compare(const Expr& e) {
  Value left = evaluate(*e.children[0]);
  for (std::size_t k = 0; k < e.ops.size(); ++k) {
    Value right = evaluate(*e.children[k + 1]);
    const std::string& op = e.ops[k];
    bool ok;
    if (op == "==")
      ok = left.equals(right);
    else if (op == "!=")
      ok = !left.equals(right);
    else if (op == "<")
      ok = less_than(left, right);
    else if (op == ">")
      ok = less_than(right, left);
    else if (op == "<=")
      ok = !less_than(right, left);
    else if (op == ">=")
      ok = !less_than(left, right);
    else if (op == "in")
      ok = contains(right, left);
    else
      ok = !contains(right, left);
    if (!ok) return Value(false);
    left = std::move(right);
  }
  return Value(true);
}

Value Renderer::evaluate(const Expr& e) {
  count_step(e.line, e.column);
  try {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return e.literal;
      case Expr::Kind::kName:
        return lookup(e.name);
      case Expr::Kind::kList:
      case Expr::Kind::kTuple: {
        ValueList items;
        for (const auto& c : e.children) items.push_back(evaluate(*c));
        return e.kind == Expr::Kind::kTuple ? Value::tuple_of(std::move(items))
                                            : Value(std::move(items));
      }
      case Expr::Kind::kDict: {
        ValueDict dict;
        for (std::size_t k = 0; k + 1 < e.children.size(); k += 2) {
          const Value key = evaluate(*e.children[k]);
          Value value = evaluate(*e.children[k + 1]);
          const std::string name = key.str();
          bool replaced = false;
          for (auto& [existing, v] : dict)
            if (existing == name) v = value, replaced = true;
          if (!replaced) dict.emplace_back(name, std::move(value));
        }
        return Value(std::move(dict));
      }
      case Expr::Kind::kAttribute:
        return get_attribute(evaluate(*e.children[0]), e.name);
      case Expr::Kind::kSubscript:
        return get_item(evaluate(*e.children[0]), evaluate(*e.children[1]));
      case Expr::Kind::kSlice: {
        auto part = [&](std::size_t k) {
          return e.children[k] ? evaluate(*e.children[k]) : Value();
        };
        return slice(evaluate(*e.children[0]), part(1), part(2), part(3));
      }
      case Expr::Kind::kCall:
        return call(e);
      case Expr::Kind::kFilter:
        return apply_filter(e.name, evaluate(*e.children[0]), arguments(e, 1));
      case Expr::Kind::kTest: {
        // `x is defined` on an attribute of an undefined value raises, as in jinja2.
        const bool passed = apply_test(e.name, evaluate(*e.children[0]), arguments(e, 1));
        return Value(passed != e.negated);
      }
      case Expr::Kind::kUnary: {
        const Value v = evaluate(*e.children[0]);
        if (e.name == "not") return Value(!v.truthy());
        if (!(v.is_number() || v.is_bool()))
          throw std::runtime_error("bad operand type for unary " + e.name + ": '" + v.type_name() +
                                   "'");
        if (e.name == "+") return v;
        if (v.is_float()) return Value(-v.as_number());
        if (int_of(v) == INT64_MIN) throw std::runtime_error("the integer result is past 64 bits");
        return Value(-int_of(v));
      }
      case Expr::Kind::kBinary:
        return binary(e);
      case Expr::Kind::kCompare:
        return compare(e);
      case Expr::Kind::kConditional:
        if (evaluate(*e.children[0]).truthy()) return evaluate(*e.children[1]);
        return e.children[2] ? evaluate(*e.children[2]) : Value::undefined();
    }
  } catch (const TemplateError&) {
    throw;
  } catch (const std::exception& ex) {
    throw TemplateError(ex.what(), e.line, e.column);
  }
  return Value();
}

}  // namespace chosei::jinja
