#pragma once
// A template that cannot be read or rendered: the message says where (line and column in
// the template) and what, as jinja2's TemplateSyntaxError and runtime errors do. A template's
// own raise_exception(message) ends rendering with that message alone.

#include <stdexcept>
#include <string>

namespace chosei::jinja {

class TemplateError : public std::runtime_error {
 public:
  TemplateError(const std::string& what, int line, int column)
      : std::runtime_error("template line " + std::to_string(line) + ", column " +
                           std::to_string(column) + ": " + what),
        line_(line),
        column_(column) {}
  // raise_exception(message): the template's own words.
  explicit TemplateError(const std::string& raised) : std::runtime_error(raised), raised_(true) {}
  int line() const { return line_; }
  int column() const { return column_; }
  bool raised_by_template() const { return raised_; }

 private:
  int line_ = 0, column_ = 0;
  bool raised_ = false;
};

}  // namespace chosei::jinja
