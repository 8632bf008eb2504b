// Jinja expressions with jinja2's precedence, loosest first: `a if c else b`, or, and, not,
// comparisons (== != < > <= >= in, not in), + -, ~, * / // %, **, unary - +, then postfix
// (.attr, [index], [a:b:c], (call)) and filters / tests (| name(args), is [not] name(args)).

#include <cerrno>
#include <cstdlib>
#include "jinja/parser.h"
#include "jinja/template_error.h"

namespace chosei::jinja {

namespace {

// Python's integers are unbounded; chosei's are 64-bit, and a literal past them is refused.
std::int64_t integer_literal(const Token& t) {
  errno = 0;
  const long long v = std::strtoll(t.text.c_str(), nullptr, 10);
  if (errno == ERANGE)
    throw TemplateError("integer literal " + t.text.substr(0, 40) + " is past 64 bits", t.line,
                        t.column);
  return static_cast<std::int64_t>(v);
}

}  // namespace

namespace {

std::shared_ptr<Expr> node(Expr::Kind kind, const Token& at) {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  e->line = at.line;
  e->column = at.column;
  return e;
}

ExprPtr binary(const std::string& op, ExprPtr left, ExprPtr right, const Token& at) {
  auto e = node(Expr::Kind::kBinary, at);
  e->name = op;
  e->children = {std::move(left), std::move(right)};
  return e;
}

}  // namespace

ExprPtr Parser::expression(bool with_condition) {
  Nesting nesting(*this);
  ExprPtr value = or_expr();
  while (with_condition && at_name("if")) {
    const Token& at = next();
    auto e = node(Expr::Kind::kConditional, at);
    e->children = {or_expr(), value, nullptr};
    if (take_name("else")) e->children[2] = expression();
    value = e;
  }
  return value;
}

ExprPtr Parser::tuple_or_expression(bool with_condition) {
  const Token& at = peek();
  ExprPtr first = expression(with_condition);
  if (!at_operator(",")) return first;
  auto tuple = node(Expr::Kind::kTuple, at);
  tuple->children.push_back(first);
  while (take_operator(",")) {
    if (peek().kind == Token::Kind::kVariableEnd || peek().kind == Token::Kind::kBlockEnd) break;
    tuple->children.push_back(expression(with_condition));
  }
  return tuple;
}

std::vector<std::string> Parser::assign_targets() {
  std::vector<std::string> names;
  const bool parenthesized = take_operator("(");
  do {
    names.push_back(expect_name().text);
  } while (take_operator(","));
  if (parenthesized) expect_operator(")");
  return names;
}

ExprPtr Parser::or_expr() {
  ExprPtr left = and_expr();
  while (at_name("or")) {
    const Token& at = next();
    left = binary("or", left, and_expr(), at);
  }
  return left;
}

ExprPtr Parser::and_expr() {
  ExprPtr left = not_expr();
  while (at_name("and")) {
    const Token& at = next();
    left = binary("and", left, not_expr(), at);
  }
  return left;
}

ExprPtr Parser::not_expr() {
  if (!at_name("not")) return compare();
  Nesting nesting(*this);
  const Token& at = next();
  auto e = node(Expr::Kind::kUnary, at);
  e->name = "not";
  e->children = {not_expr()};
  return e;
}

ExprPtr Parser::compare() {
  const Token& at = peek();
  ExprPtr first = math1();
  std::shared_ptr<Expr> chain;
  while (true) {
    std::string op;
    if (peek().kind == Token::Kind::kOperator &&
        (peek().text == "==" || peek().text == "!=" || peek().text == "<" || peek().text == ">" ||
         peek().text == "<=" || peek().text == ">=")) {
      op = next().text;
    } else if (at_name("in")) {
      next();
      op = "in";
    } else if (at_name("not") && peek(1).kind == Token::Kind::kName && peek(1).text == "in") {
      next(), next();
      op = "not in";
    } else {
      break;
    }
    if (!chain) {
      chain = node(Expr::Kind::kCompare, at);
      chain->children.push_back(first);
    }
    chain->ops.push_back(op);
    chain->children.push_back(math1());
  }
  return chain ? chain : first;
}

ExprPtr Parser::math1() {
  ExprPtr left = concat();
  while (at_operator("+") || at_operator("-")) {
    const Token& at = next();
    left = binary(at.text, left, concat(), at);
  }
  return left;
}

ExprPtr Parser::concat() {
  ExprPtr left = math2();
  while (at_operator("~")) {
    const Token& at = next();
    left = binary("~", left, math2(), at);
  }
  return left;
}

ExprPtr Parser::math2() {
  ExprPtr left = power();
  while (at_operator("*") || at_operator("/") || at_operator("//") || at_operator("%")) {
    const Token& at = next();
    left = binary(at.text, left, power(), at);
  }
  return left;
}

ExprPtr Parser::power() {
  ExprPtr left = unary(true);
  while (at_operator("**")) {
    const Token& at = next();
    left = binary("**", left, unary(true), at);
  }
  return left;
}

ExprPtr Parser::unary(bool with_filter) {
  Nesting nesting(*this);
  ExprPtr value;
  if (at_operator("-") || at_operator("+")) {
    const Token& at = next();
    auto e = node(Expr::Kind::kUnary, at);
    e->name = at.text;
    e->children = {unary(false)};
    value = e;
  } else {
    value = primary();
  }
  value = postfix(value);
  return with_filter ? filters_and_tests(value) : value;
}

ExprPtr Parser::primary() {
  const Token& at = next();
  switch (at.kind) {
    case Token::Kind::kName: {
      if (at.text == "true" || at.text == "True" || at.text == "false" || at.text == "False") {
        auto e = node(Expr::Kind::kLiteral, at);
        e->literal = Value(at.text == "true" || at.text == "True");
        return e;
      }
      if (at.text == "none" || at.text == "None") {
        auto e = node(Expr::Kind::kLiteral, at);
        e->literal = Value::none();
        return e;
      }
      auto e = node(Expr::Kind::kName, at);
      e->name = at.text;
      return e;
    }
    case Token::Kind::kString: {
      std::string text = at.text;  // adjacent literals join, as in Python
      while (peek().kind == Token::Kind::kString) text += next().text;
      auto e = node(Expr::Kind::kLiteral, at);
      e->literal = Value(text);
      return e;
    }
    case Token::Kind::kInteger: {
      auto e = node(Expr::Kind::kLiteral, at);
      e->literal = Value(integer_literal(at));
      return e;
    }
    case Token::Kind::kFloat: {
      auto e = node(Expr::Kind::kLiteral, at);
      e->literal = Value(std::strtod(at.text.c_str(), nullptr));  // 1e999 is inf, as in Python
      return e;
    }
    case Token::Kind::kOperator:
      if (at.text == "(") {
        if (take_operator(")")) return node(Expr::Kind::kTuple, at);
        ExprPtr first = expression();
        if (take_operator(")")) return first;
        auto tuple = node(Expr::Kind::kTuple, at);
        tuple->children.push_back(first);
        while (take_operator(",")) {
          if (at_operator(")")) break;
          tuple->children.push_back(expression());
        }
        expect_operator(")");
        return tuple;
      }
      if (at.text == "[" || at.text == "{") {
        const bool list = at.text == "[";
        auto e = node(list ? Expr::Kind::kList : Expr::Kind::kDict, at);
        const char* close = list ? "]" : "}";
        while (!take_operator(close)) {
          if (!e->children.empty()) {
            expect_operator(",");
            if (take_operator(close)) break;
          }
          e->children.push_back(expression());
          if (!list) {
            expect_operator(":");
            e->children.push_back(expression());
          }
        }
        return e;
      }
      break;
    default:
      break;
  }
  fail("unexpected token in an expression", at);
}

ExprPtr Parser::postfix(ExprPtr value) {
  while (true) {
    if (at_operator(".")) {
      const Token& at = next();
      auto e = node(Expr::Kind::kAttribute, at);
      const Token& name = next();
      if (name.kind == Token::Kind::kInteger) {  // x.0 is x[0]
        e->kind = Expr::Kind::kSubscript;
        auto index = node(Expr::Kind::kLiteral, name);
        index->literal = Value(integer_literal(name));
        e->children = {value, index};
      } else {
        if (name.kind != Token::Kind::kName) fail("expected an attribute name", name);
        e->name = name.text;
        e->children = {value};
      }
      value = e;
    } else if (at_operator("[")) {
      value = subscript(value, next());
    } else if (at_operator("(")) {
      const Token& at = next();
      auto e = node(Expr::Kind::kCall, at);
      e->children.push_back(value);
      call_arguments(*e);
      value = e;
    } else {
      return value;
    }
  }
}

ExprPtr Parser::subscript(ExprPtr value, const Token& at) {
  ExprPtr parts[3];
  int part = 0;
  bool slice = false;
  while (!at_operator("]")) {
    if (take_operator(":")) {
      slice = true;
      if (++part > 2) fail("too many ':' in a slice", at);
      continue;
    }
    parts[part] = expression();
  }
  next();
  auto e = node(slice ? Expr::Kind::kSlice : Expr::Kind::kSubscript, at);
  e->children = {value};
  if (!slice && !parts[0]) fail("expected an index", at);
  e->children.push_back(parts[0]);
  if (slice) e->children.insert(e->children.end(), {parts[1], parts[2]});
  return e;
}

void Parser::call_arguments(Expr& call) {
  while (!take_operator(")")) {
    if (call.children.size() > 1 || !call.keywords.empty()) {
      expect_operator(",");
      if (take_operator(")")) break;
    }
    if (peek().kind == Token::Kind::kName && peek(1).kind == Token::Kind::kOperator &&
        peek(1).text == "=") {
      const std::string name = next().text;
      next();
      call.keywords.emplace_back(name, expression());
    } else {
      if (!call.keywords.empty()) fail("a positional argument after a keyword one", peek());
      call.children.push_back(expression());
    }
  }
}

ExprPtr Parser::filters_and_tests(ExprPtr value) {
  while (true) {
    if (take_operator("|")) {
      value = filter(value);
    } else if (at_name("is")) {
      value = test(value);
    } else {
      return value;
    }
  }
}

ExprPtr Parser::filter(ExprPtr value) {
  const Token& at = expect_name();
  auto e = node(Expr::Kind::kFilter, at);
  e->name = at.text;
  while (take_operator(".")) e->name += "." + expect_name().text;
  e->children.push_back(value);
  if (take_operator("(")) call_arguments(*e);
  return postfix(e);
}

ExprPtr Parser::test(ExprPtr value) {
  const Token& at = next();  // is
  auto e = node(Expr::Kind::kTest, at);
  e->negated = take_name("not");
  const Token& name = next();
  if (name.kind == Token::Kind::kName) {
    e->name = name.text;
  } else if (name.kind == Token::Kind::kOperator &&
             (name.text == "==" || name.text == "!=" || name.text == "<" || name.text == ">" ||
              name.text == "<=" || name.text == ">=")) {
    e->name = name.text;
  } else {
    fail("expected a test name", name);
  }
  e->children.push_back(value);
  if (take_operator("(")) {
    call_arguments(*e);
  } else if (peek().kind == Token::Kind::kString || peek().kind == Token::Kind::kInteger ||
             peek().kind == Token::Kind::kFloat ||
             (peek().kind == Token::Kind::kName && peek().text != "and" && peek().text != "or" &&
              peek().text != "else" && peek().text != "if" && peek().text != "is" &&
              peek().text != "in" && peek().text != "not")) {
    e->children.push_back(primary());  // `x is divisibleby 3`, `x is sameas none`
  }
  return e;
}

}  // namespace chosei::jinja
