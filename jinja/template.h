#pragma once
// A Jinja template, parsed once and rendered many times, as transformers renders chat
// templates: jinja2 with trim_blocks, lstrip_blocks and loop controls, the globals
// raise_exception(message) and strftime_now(format) beside jinja2's range, namespace and
// dict. Values from users (messages, tools) are data: nothing in them is evaluated.
//
//   jinja::Template t(source);                      // throws TemplateError with line, column
//   auto out = t.render({{"messages", jinja::Value::from_json(messages)},
//                        {"add_generation_prompt", jinja::Value(true)}});

#include <map>
#include <string>

#include "jinja/ast.h"
#include "jinja/renderer.h"
#include "jinja/template_error.h"
#include "jinja/value.h"

namespace chosei::jinja {

class Template {
 public:
  explicit Template(const std::string& source);
  // `context` joins (and overrides) the globals. Throws TemplateError.
  Rendered render(const std::map<std::string, Value>& context) const;

 private:
  Body body_;
};

// range, namespace, dict, raise_exception, strftime_now.
std::map<std::string, Value> template_globals();

}  // namespace chosei::jinja
