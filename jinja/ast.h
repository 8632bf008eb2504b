#pragma once
// The parsed template: statements (text, output, control flow) over expressions, each node
// remembering its line and column for errors.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jinja/value.h"

namespace chosei::jinja {

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

struct Expr {
  enum class Kind {
    kLiteral,    // literal
    kName,       // name
    kList,       // children
    kTuple,      // children
    kDict,       // children: key, value, key, value...
    kAttribute,  // children[0].name
    kSubscript,  // children[0][children[1]]
    kSlice,      // children[0][children[1]:children[2]:children[3]] (null: omitted)
    kCall,       // children[0](children[1..], keywords)
    kFilter,     // children[0] | name(children[1..], keywords); children[0] null in a filter block
    kTest,       // children[0] is [not] name(children[1..])
    kUnary,      // name: "-", "+", "not"
    kBinary,     // children[0] name children[1]: + - * / // % ** ~ and or
    kCompare,    // children[0] ops[0] children[1] ops[1] children[2] ...
    kConditional,  // children[1] if children[0] else children[2] (null: undefined)
  };
  Kind kind = Kind::kLiteral;
  int line = 0, column = 0;
  Value literal;
  std::string name;
  std::vector<ExprPtr> children;
  std::vector<std::pair<std::string, ExprPtr>> keywords;
  std::vector<std::string> ops;
  bool negated = false;
};

struct Stmt;
using Body = std::vector<Stmt>;

struct Stmt {
  enum class Kind {
    kText,         // text
    kOutput,       // {{ expr }}
    kIf,           // if expr: body, else else_body (elif: a nested kIf there)
    kFor,          // for targets in expr [if condition]: body, else else_body
    kSet,          // set targets = expr; or set name.attribute = expr
    kSetBlock,     // set targets[0]: body
    kMacro,        // macro name(params): body
    kCallBlock,    // call(params) expr: body (the caller)
    kFilterBlock,  // filter expr (a kFilter chain over null): body
    kBreak,
    kContinue,
    kGeneration,  // generation: body (the assistant's part, for training labels)
  };
  Kind kind = Kind::kText;
  int line = 0, column = 0;
  std::string text;
  ExprPtr expr, condition;
  std::vector<std::string> targets;
  std::string attribute;                                // set ns.attribute
  std::string name;                                     // macro name
  std::vector<std::pair<std::string, ExprPtr>> params;  // macro / call parameters, defaults
  bool recursive = false;
  Body body, else_body;
};

}  // namespace chosei::jinja
