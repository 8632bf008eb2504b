#pragma once
// The Jinja lexer: template text into text runs, tag delimiters and the tokens of the
// expressions inside tags, with jinja2's whitespace control as transformers configures it
// (trim_blocks: the newline after a block or comment tag goes; lstrip_blocks: spaces and tabs
// before a block or comment tag alone on its line go; `-` strips every whitespace on its
// side, `+` keeps it) and {% raw %} taken verbatim.

#include <string>
#include <vector>

namespace chosei::jinja {

struct Token {
  enum class Kind {
    kText,
    kVariableBegin,  // {{
    kVariableEnd,    // }}
    kBlockBegin,     // {%
    kBlockEnd,       // %}
    kName,
    kString,
    kInteger,
    kFloat,
    kOperator,
    kEnd,
  };
  Kind kind;
  std::string text;  // the text run, name, operator, or the string's decoded value
  int line = 1, column = 1;
};

// Throws TemplateError (jinja/template_error.h) at the offending line and column.
std::vector<Token> tokenize(const std::string& source);

}  // namespace chosei::jinja
