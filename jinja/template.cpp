#include "jinja/template.h"

#include <ctime>
#include <stdexcept>

#include "jinja/lexer.h"
#include "jinja/parser.h"

namespace chosei::jinja {

namespace {

std::int64_t integer_argument(const CallArgs& a, std::size_t k, const char* what) {
  const Value& v = a.positional.at(k);
  if (!v.is_int()) throw std::runtime_error(std::string(what) + ": expected an integer");
  return v.as_int();
}

Value range(const CallArgs& a) {
  if (a.positional.empty() || a.positional.size() > 3)
    throw std::runtime_error("range expected 1 to 3 arguments");
  std::int64_t start = 0, stop, step = 1;
  if (a.positional.size() == 1) {
    stop = integer_argument(a, 0, "range");
  } else {
    start = integer_argument(a, 0, "range");
    stop = integer_argument(a, 1, "range");
    if (a.positional.size() == 3) step = integer_argument(a, 2, "range");
  }
  if (step == 0) throw std::runtime_error("range() arg 3 must not be zero");
  ValueList out;
  for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    out.emplace_back(i);
    if (out.size() > 1000000) throw std::runtime_error("range too big");
  }
  return Value(std::move(out));
}

ValueDict keyword_dict(const CallArgs& a) {
  ValueDict d;
  if (!a.positional.empty() && a.positional[0].is_dict()) d = a.positional[0].dict();
  for (const auto& [k, v] : a.keyword) d.emplace_back(k, v);
  return d;
}

}  // namespace

std::map<std::string, Value> template_globals() {
  return {
      {"range", Value(Function(range))},
      {"namespace",
       Value(Function([](const CallArgs& a) { return Value::namespace_of(keyword_dict(a)); }))},
      {"dict", Value(Function([](const CallArgs& a) { return Value(keyword_dict(a)); }))},
      {"raise_exception", Value(Function([](const CallArgs& a) -> Value {
         throw TemplateError(a.positional.empty() ? std::string("raise_exception")
                                                  : a.positional[0].str());
       }))},
      {"strftime_now", Value(Function([](const CallArgs& a) {
         const std::time_t now = std::time(nullptr);
         std::tm local{};
         localtime_r(&now, &local);
         char buf[256];
         const std::string format = a.positional.empty() ? "" : a.positional[0].str();
         const auto n = std::strftime(buf, sizeof buf, format.c_str(), &local);
         return Value(std::string(buf, n));
       }))},
  };
}

Template::Template(const std::string& source) : body_(parse(tokenize(source))) {}

Rendered Template::render(const std::map<std::string, Value>& context) const {
  auto globals = template_globals();
  for (const auto& [name, value] : context) globals[name] = value;
  return Renderer(body_, std::move(globals)).render();
}

}  // namespace chosei::jinja
