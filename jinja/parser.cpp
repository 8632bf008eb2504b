#include "jinja/parser.h"

#include <algorithm>

#include "jinja/template_error.h"

namespace chosei::jinja {

namespace {

Stmt make_stmt(Stmt::Kind kind, const Token& at) {
  Stmt s;
  s.kind = kind;
  s.line = at.line;
  s.column = at.column;
  return s;
}

}  // namespace

Body parse(const std::vector<Token>& tokens) { return Parser(tokens).parse_template(); }

Parser::Nesting::Nesting(Parser& p) : parser(p) {
  if (++parser.depth_ > kMaxDepth) {
    --parser.depth_;
    parser.fail("nested more than " + std::to_string(kMaxDepth) + " levels deep", parser.peek());
  }
}

const Token& Parser::peek(std::size_t ahead) const {
  return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
}

const Token& Parser::next() {
  const Token& t = peek();
  if (pos_ < tokens_.size() - 1) ++pos_;
  return t;
}

bool Parser::at_operator(const char* op) const {
  return peek().kind == Token::Kind::kOperator && peek().text == op;
}

bool Parser::at_name(const char* name) const {
  return peek().kind == Token::Kind::kName && peek().text == name;
}

bool Parser::take_operator(const char* op) {
  if (!at_operator(op)) return false;
  next();
  return true;
}

bool Parser::take_name(const char* name) {
  if (!at_name(name)) return false;
  next();
  return true;
}

const Token& Parser::expect_operator(const char* op) {
  if (!at_operator(op)) fail(std::string("expected '") + op + "'", peek());
  return next();
}

const Token& Parser::expect_name() {
  if (peek().kind != Token::Kind::kName) fail("expected a name", peek());
  return next();
}

void Parser::fail(const std::string& what, const Token& at) const {
  std::string got = at.kind == Token::Kind::kEnd           ? "end of template"
                    : at.kind == Token::Kind::kBlockEnd    ? "end of statement block"
                    : at.kind == Token::Kind::kVariableEnd ? "end of print statement"
                                                           : "'" + at.text + "'";
  throw TemplateError(what + ", got " + got, at.line, at.column);
}

void Parser::block_end() {
  if (peek().kind != Token::Kind::kBlockEnd)
    fail("expected the end of the statement block", peek());
  next();
}

Body Parser::parse_template() {
  Body body = statements({});
  if (peek().kind != Token::Kind::kEnd) fail("unexpected", peek());
  return body;
}

Body Parser::statements(const std::vector<std::string>& ends) {
  Body body;
  while (peek().kind != Token::Kind::kEnd) {
    const Token& t = peek();
    if (t.kind == Token::Kind::kText) {
      Stmt s = make_stmt(Stmt::Kind::kText, t);
      s.text = next().text;
      body.push_back(std::move(s));
    } else if (t.kind == Token::Kind::kVariableBegin) {
      next();
      Stmt s = make_stmt(Stmt::Kind::kOutput, t);
      s.expr = tuple_or_expression();
      if (peek().kind != Token::Kind::kVariableEnd) fail("expected '}}'", peek());
      next();
      body.push_back(std::move(s));
    } else if (t.kind == Token::Kind::kBlockBegin) {
      const Token& name = peek(1);
      if (name.kind == Token::Kind::kName &&
          std::find(ends.begin(), ends.end(), name.text) != ends.end())
        return body;
      next();
      body.push_back(statement());
    } else {
      fail("unexpected", t);
    }
  }
  if (!ends.empty())
    throw TemplateError("unexpected end of template: expected '" + ends.back() + "'", peek().line,
                        peek().column);
  return body;
}

Stmt Parser::statement() {
  Nesting nesting(*this);
  const Token& at = expect_name();
  const std::string& word = at.text;
  if (word == "if") return if_statement(at);
  if (word == "for") return for_statement(at);
  if (word == "set") return set_statement(at);
  if (word == "macro") return macro_statement(at, false);
  if (word == "call") return macro_statement(at, true);
  if (word == "filter") return filter_statement(at);
  if (word == "break" || word == "continue") {
    block_end();
    return make_stmt(word == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue, at);
  }
  if (word == "generation") {
    block_end();
    Stmt s = make_stmt(Stmt::Kind::kGeneration, at);
    s.body = statements({"endgeneration"});
    next(), next();
    block_end();
    return s;
  }
  if (word == "include" || word == "import" || word == "from" || word == "extends" ||
      word == "block")
    fail("'" + word + "' is not supported: a chat template is one file", at);
  throw TemplateError("Encountered unknown tag '" + word + "'", at.line, at.column);
}

Stmt Parser::if_statement(const Token& at) {
  Stmt s = make_stmt(Stmt::Kind::kIf, at);
  s.condition = tuple_or_expression();
  block_end();
  s.body = statements({"elif", "else", "endif"});
  next();  // {%
  const Token& word = next();
  if (word.text == "elif") {
    s.else_body.push_back(if_statement(word));
    return s;  // the nested if consumed endif
  }
  if (word.text == "else") {
    block_end();
    s.else_body = statements({"endif"});
    next(), next();
  }
  block_end();
  return s;
}

Stmt Parser::for_statement(const Token& at) {
  Stmt s = make_stmt(Stmt::Kind::kFor, at);
  s.targets = assign_targets();
  if (!take_name("in")) fail("expected 'in'", peek());
  s.expr = tuple_or_expression(false);
  if (take_name("if")) s.condition = expression(false);
  s.recursive = take_name("recursive");
  block_end();
  s.body = statements({"else", "endfor"});
  next();
  if (next().text == "else") {
    block_end();
    s.else_body = statements({"endfor"});
    next(), next();
  }
  block_end();
  return s;
}

Stmt Parser::set_statement(const Token& at) {
  Stmt s = make_stmt(Stmt::Kind::kSet, at);
  if (peek().kind == Token::Kind::kName && peek(1).kind == Token::Kind::kOperator &&
      peek(1).text == "." && peek(2).kind == Token::Kind::kName) {
    s.targets = {next().text};
    next();
    s.attribute = next().text;
  } else {
    s.targets = assign_targets();
  }
  if (take_operator("=")) {
    s.expr = tuple_or_expression();
    block_end();
    return s;
  }
  if (s.targets.size() != 1 || !s.attribute.empty()) fail("expected '='", peek());
  s.kind = Stmt::Kind::kSetBlock;
  if (peek().kind == Token::Kind::kOperator && peek().text == "|") {
    s.expr = filters_and_tests(nullptr);  // {% set x | filter %}
  }
  block_end();
  s.body = statements({"endset"});
  next(), next();
  block_end();
  return s;
}

void Parser::parameters(Stmt& s) {
  expect_operator("(");
  while (!take_operator(")")) {
    if (!s.params.empty()) expect_operator(",");
    if (take_operator(")")) break;
    const std::string name = expect_name().text;
    ExprPtr fallback;
    if (take_operator("=")) fallback = expression();
    s.params.emplace_back(name, fallback);
  }
}

Stmt Parser::macro_statement(const Token& at, bool call_block) {
  Stmt s = make_stmt(call_block ? Stmt::Kind::kCallBlock : Stmt::Kind::kMacro, at);
  if (call_block) {
    if (at_operator("(")) parameters(s);
    s.expr = expression();
    if (s.expr->kind != Expr::Kind::kCall) fail("expected a call", at);
  } else {
    s.name = expect_name().text;
    parameters(s);
  }
  block_end();
  s.body = statements({call_block ? "endcall" : "endmacro"});
  next(), next();
  if (!call_block && peek().kind == Token::Kind::kName && peek().text == s.name) next();
  block_end();
  return s;
}

Stmt Parser::filter_statement(const Token& at) {
  Stmt s = make_stmt(Stmt::Kind::kFilterBlock, at);
  s.expr = filter(nullptr);
  while (take_operator("|")) s.expr = filter(s.expr);
  block_end();
  s.body = statements({"endfilter"});
  next(), next();
  block_end();
  return s;
}

}  // namespace chosei::jinja
