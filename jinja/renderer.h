#pragma once
// Renders a parsed template (jinja/ast.h) against a context, with jinja2's scoping: a for
// loop's body has its own scope (what it sets does not leak out; namespace() objects carry
// state across iterations), macros see their parameters, `caller` and the template's names.
// The text each {% generation %} block renders is recorded as a byte span of the output.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "jinja/ast.h"
#include "jinja/value.h"

namespace chosei::jinja {

struct Rendered {
  std::string text;
  // [begin, end) byte offsets of each {% generation %} block's output, in order.
  std::vector<std::pair<std::size_t, std::size_t>> generation;
};

class Renderer {
 public:
  // `globals`: the context's names (messages, tools, add_generation_prompt, special tokens,
  // raise_exception, ...).
  Renderer(const Body& body, std::map<std::string, Value> globals);
  Rendered render();

  // Expressions (jinja/evaluate.cpp).
  Value evaluate(const Expr& e);

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  Flow run(const Body& body);
  Flow run(const Stmt& s);
  Flow run_for(const Stmt& s);
  void run_set(const Stmt& s);
  Value make_macro(const Stmt& s);
  std::string capture(const Body& body);
  Value call_block(const Stmt& s);

  Value lookup(const std::string& name) const;
  void assign(const std::string& name, Value value);
  Value call(const Expr& e);
  Value binary(const Expr& e);
  Value compare(const Expr& e);
  CallArgs arguments(const Expr& e, std::size_t first);

  const Body& body_;
  std::map<std::string, Value> globals_;
  std::vector<std::map<std::string, Value>> scopes_;
  std::string out_;
  std::vector<std::pair<std::size_t, std::size_t>> generation_;
  int depth_ = 0;           // macro call depth, bounded against runaway recursion
  std::int64_t steps_ = 0;  // statements and expressions run, bounded against runaway loops
  void count_step(int line, int column);
};

}  // namespace chosei::jinja
