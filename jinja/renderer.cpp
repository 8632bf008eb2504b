#include "jinja/renderer.h"

#include "jinja/filters.h"
#include "jinja/methods.h"
#include "jinja/template_error.h"

namespace chosei::jinja {

namespace {

constexpr int kMaxCallDepth = 200;
// A chat template renders a conversation in thousands of steps and kilobytes: these bounds
// only stop a template that would never finish (nested loops over huge ranges).
constexpr std::int64_t kMaxSteps = 10'000'000;
constexpr std::size_t kMaxOutputBytes = 256u << 20;

// A loop's `loop` variable for item `index` of `items`.
Value loop_variable(const ValueList& items, std::size_t index) {
  const auto n = static_cast<std::int64_t>(items.size());
  const auto i = static_cast<std::int64_t>(index);
  ValueDict loop = {
      {"index", Value(i + 1)},
      {"index0", Value(i)},
      {"revindex", Value(n - i)},
      {"revindex0", Value(n - i - 1)},
      {"first", Value(i == 0)},
      {"last", Value(i == n - 1)},
      {"length", Value(n)},
      {"depth", Value(std::int64_t{1})},
      {"depth0", Value(std::int64_t{0})},
      {"previtem", index > 0 ? items[index - 1] : Value::undefined("previtem")},
      {"nextitem", index + 1 < items.size() ? items[index + 1] : Value::undefined("nextitem")}};
  loop.emplace_back("cycle", Value(Function([i](const CallArgs& a) {
                      if (a.positional.empty())
                        throw std::runtime_error("no items for cycling given");
                      return a.positional[static_cast<std::size_t>(i) % a.positional.size()];
                    })));
  return Value(std::move(loop));
}

ValueList iterate(const Value& v) {
  if (v.is_list()) return v.list();
  if (v.is_undefined()) return {};
  if (v.is_dict()) {
    ValueList keys;
    for (const auto& [k, e] : v.dict()) keys.emplace_back(k);
    return keys;
  }
  if (v.is_string()) return apply_filter("list", v, {}).list();
  throw std::runtime_error("'" + v.type_name() + "' object is not iterable");
}

}  // namespace

Renderer::Renderer(const Body& body, std::map<std::string, Value> globals)
    : body_(body), globals_(std::move(globals)), scopes_(1) {}

Rendered Renderer::render() {
  run(body_);
  return {std::move(out_), std::move(generation_)};
}

Value Renderer::lookup(const std::string& name) const {
  for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
    auto found = it->find(name);
    if (found != it->end()) return found->second;
  }
  auto global = globals_.find(name);
  return global != globals_.end() ? global->second : Value::undefined(name);
}

void Renderer::assign(const std::string& name, Value value) {
  scopes_.back()[name] = std::move(value);
}

Renderer::Flow Renderer::run(const Body& body) {
  for (const auto& s : body) {
    const Flow flow = run(s);
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

void Renderer::count_step(int line, int column) {
  if (++steps_ > kMaxSteps || out_.size() > kMaxOutputBytes)
    throw TemplateError("the template runs too long (over " + std::to_string(kMaxSteps) +
                            " steps or " + std::to_string(kMaxOutputBytes >> 20) + " MiB of text)",
                        line, column);
}

Renderer::Flow Renderer::run(const Stmt& s) {
  count_step(s.line, s.column);
  try {
    switch (s.kind) {
      case Stmt::Kind::kText:
        out_ += s.text;
        return Flow::kNormal;
      case Stmt::Kind::kOutput:
        out_ += evaluate(*s.expr).str();
        return Flow::kNormal;
      case Stmt::Kind::kIf:
        return run(evaluate(*s.condition).truthy() ? s.body : s.else_body);
      case Stmt::Kind::kFor:
        return run_for(s);
      case Stmt::Kind::kSet:
      case Stmt::Kind::kSetBlock:
        run_set(s);
        return Flow::kNormal;
      case Stmt::Kind::kMacro:
        assign(s.name, make_macro(s));
        return Flow::kNormal;
      case Stmt::Kind::kCallBlock:
        out_ += call_block(s).str();
        return Flow::kNormal;
      case Stmt::Kind::kFilterBlock: {
        Value text(capture(s.body));
        // The chain's innermost filter has no operand: the block's text takes its place.
        std::vector<const Expr*> chain;
        for (const Expr* e = s.expr.get(); e; e = e->children[0].get()) chain.push_back(e);
        for (auto it = chain.rbegin(); it != chain.rend(); ++it)
          text = apply_filter((*it)->name, text, arguments(**it, 1));
        out_ += text.str();
        return Flow::kNormal;
      }
      case Stmt::Kind::kBreak:
        return Flow::kBreak;
      case Stmt::Kind::kContinue:
        return Flow::kContinue;
      case Stmt::Kind::kGeneration: {
        const std::size_t begin = out_.size();
        const Flow flow = run(s.body);
        generation_.emplace_back(begin, out_.size());
        return flow;
      }
    }
  } catch (const TemplateError&) {
    throw;
  } catch (const std::exception& e) {
    throw TemplateError(e.what(), s.line, s.column);
  }
  return Flow::kNormal;
}

Renderer::Flow Renderer::run_for(const Stmt& s) {
  if (s.recursive) throw TemplateError("recursive loops are not supported", s.line, s.column);
  ValueList items = iterate(evaluate(*s.expr));
  scopes_.emplace_back();
  auto bind = [&](const Value& item) {
    if (s.targets.size() == 1) {
      assign(s.targets[0], item);
      return;
    }
    const ValueList parts = iterate(item);
    if (parts.size() != s.targets.size())
      throw TemplateError("cannot unpack " + std::to_string(parts.size()) + " values into " +
                              std::to_string(s.targets.size()),
                          s.line, s.column);
    for (std::size_t k = 0; k < parts.size(); ++k) assign(s.targets[k], parts[k]);
  };
  if (s.condition) {  // for x in y if cond: the loop sees only the items that pass
    ValueList kept;
    for (const auto& item : items) {
      bind(item);
      if (evaluate(*s.condition).truthy()) kept.push_back(item);
    }
    items = std::move(kept);
  }
  for (std::size_t k = 0; k < items.size(); ++k) {
    count_step(s.line, s.column);  // an empty body still costs an iteration
    bind(items[k]);
    assign("loop", loop_variable(items, k));
    if (run(s.body) == Flow::kBreak) break;
  }
  scopes_.pop_back();
  if (items.empty()) return run(s.else_body);
  return Flow::kNormal;
}

void Renderer::run_set(const Stmt& s) {
  Value value;
  if (s.kind == Stmt::Kind::kSetBlock) {
    value = Value(capture(s.body));
    if (s.expr) {
      std::vector<const Expr*> chain;
      for (const Expr* e = s.expr.get(); e; e = e->children[0].get()) chain.push_back(e);
      for (auto it = chain.rbegin(); it != chain.rend(); ++it)
        value = apply_filter((*it)->name, value, arguments(**it, 1));
    }
  } else {
    value = evaluate(*s.expr);
  }
  if (!s.attribute.empty()) {
    Value target = lookup(s.targets[0]);
    if (!target.is_namespace())
      throw TemplateError("cannot assign attribute on non-namespace object", s.line, s.column);
    for (auto& [k, v] : target.dict())
      if (k == s.attribute) {
        v = value;
        return;
      }
    target.dict().emplace_back(s.attribute, value);
    return;
  }
  if (s.targets.size() == 1) {
    assign(s.targets[0], value);
    return;
  }
  const ValueList parts = iterate(value);
  if (parts.size() != s.targets.size())
    throw TemplateError("cannot unpack " + std::to_string(parts.size()) + " values into " +
                            std::to_string(s.targets.size()),
                        s.line, s.column);
  for (std::size_t k = 0; k < parts.size(); ++k) assign(s.targets[k], parts[k]);
}

std::string Renderer::capture(const Body& body) {
  std::string saved;
  std::swap(saved, out_);
  const auto spans = generation_.size();
  run(body);
  generation_.resize(spans);  // spans inside captured text are not the output's
  std::swap(saved, out_);
  return saved;
}

// A macro: a function whose call renders its body with the parameters bound (and `caller`
// when a call block invokes it), returning the text.
Value Renderer::make_macro(const Stmt& s) {
  const Stmt* macro = &s;
  return Value(Function([this, macro](const CallArgs& a) {
    if (++depth_ > kMaxCallDepth) {
      depth_ = 0;
      throw TemplateError("macro recursion too deep", macro->line, macro->column);
    }
    std::map<std::string, Value> frame;
    for (std::size_t k = 0; k < macro->params.size(); ++k) {
      const auto& [name, fallback] = macro->params[k];
      const Value* given = a.get(name, k);
      frame[name] = given ? *given : fallback ? evaluate(*fallback) : Value::undefined(name);
    }
    for (const auto& [name, value] : a.keyword)
      if (name == "caller") frame["caller"] = value;
    scopes_.push_back(std::move(frame));
    std::string text = capture(macro->body);
    scopes_.pop_back();
    --depth_;
    return Value(std::move(text));
  }));
}

Value Renderer::call_block(const Stmt& s) {
  const Stmt* block = &s;
  Value caller(Function([this, block](const CallArgs& a) {
    std::map<std::string, Value> frame;
    for (std::size_t k = 0; k < block->params.size(); ++k) {
      const auto& [name, fallback] = block->params[k];
      const Value* given = a.get(name, k);
      frame[name] = given ? *given : fallback ? evaluate(*fallback) : Value::undefined(name);
    }
    scopes_.push_back(std::move(frame));
    std::string text = capture(block->body);
    scopes_.pop_back();
    return Value(std::move(text));
  }));
  const Expr& call_expr = *s.expr;
  Value callee = evaluate(*call_expr.children[0]);
  if (!callee.is_function())
    throw TemplateError("the call block's target is not callable", s.line, s.column);
  CallArgs args = arguments(call_expr, 1);
  args.keyword.emplace_back("caller", caller);
  return callee.function()(args);
}

}  // namespace chosei::jinja
