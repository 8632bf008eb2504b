#pragma once
// The Jinja parser: tokens (jinja/lexer.h) into statements and expressions (jinja/ast.h), with
// jinja2's grammar and operator precedence. Statements: if/elif/else, for (with a filter,
// `recursive` and else), set (targets, tuples, namespace attributes, blocks), macro, call,
// filter blocks, break/continue and TRL's generation blocks. include/import/extends/block are
// refused by name: a chat template is one file.

#include <string>
#include <vector>

#include "jinja/ast.h"
#include "jinja/lexer.h"

namespace chosei::jinja {

// Throws TemplateError at the offending token.
Body parse(const std::vector<Token>& tokens);

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : tokens_(tokens) {}
  Body parse_template();

  // Expressions (jinja/parse_expression.cpp).
  ExprPtr expression(bool with_condition = true);
  // a, b, c without parentheses; without conditions in a for loop's iterable, where `if`
  // starts the loop's filter.
  ExprPtr tuple_or_expression(bool with_condition = true);
  std::vector<std::string> assign_targets();

 private:
  // Statements until one of `ends` (its name is left at the parser's position).
  Body statements(const std::vector<std::string>& ends);
  Stmt statement();
  Stmt if_statement(const Token& at);
  Stmt for_statement(const Token& at);
  Stmt set_statement(const Token& at);
  Stmt macro_statement(const Token& at, bool call_block);
  Stmt filter_statement(const Token& at);
  void block_end();
  void parameters(Stmt& s);

  ExprPtr or_expr();
  ExprPtr and_expr();
  ExprPtr not_expr();
  ExprPtr compare();
  ExprPtr math1();
  ExprPtr concat();
  ExprPtr math2();
  ExprPtr power();
  ExprPtr unary(bool with_filter);
  ExprPtr primary();
  ExprPtr postfix(ExprPtr node);
  ExprPtr filters_and_tests(ExprPtr node);
  ExprPtr filter(ExprPtr node);
  ExprPtr test(ExprPtr node);
  void call_arguments(Expr& call);
  ExprPtr subscript(ExprPtr node, const Token& at);

  const Token& peek(std::size_t ahead = 0) const;
  const Token& next();
  bool at_operator(const char* op) const;
  bool at_name(const char* name) const;
  bool take_operator(const char* op);
  bool take_name(const char* name);
  const Token& expect_operator(const char* op);
  const Token& expect_name();
  [[noreturn]] void fail(const std::string& what, const Token& at) const;

  // Nesting beyond this many expressions or blocks is refused (the parser recurses).
  static constexpr int kMaxDepth = 256;
  struct Nesting {
    Nesting(Parser& p);
    ~Nesting() { --parser.depth_; }
    Parser& parser;
  };

  const std::vector<Token>& tokens_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace chosei::jinja
