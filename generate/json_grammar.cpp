#include "generate/json_grammar.h"

#include "generate/json_grammar_builder.h"

namespace chosei {

using namespace json_grammar_detail;

std::shared_ptr<const Grammar> json_object_grammar() {
  static const auto grammar = [] {
    JsonGrammarBuilder b;
    return b.finish(b.any_object());
  }();
  return grammar;
}

std::shared_ptr<const Grammar> json_schema_grammar(const json& schema) {
  JsonGrammarBuilder b(schema);
  const auto root = b.compile(schema, "");
  return b.finish(root);
}

std::shared_ptr<const Grammar> tool_call_grammar(const std::vector<ToolFunction>& functions,
                                                 const std::string& head,
                                                 const std::string& arguments_key,
                                                 const std::string& tail,
                                                 const std::string& separator, bool many) {
  if (functions.empty()) throw std::invalid_argument("no function to call");
  JsonGrammarBuilder b;
  const auto named = b.new_rule("named-call");
  for (std::size_t i = 0; i < functions.size(); ++i) {
    const auto& f = functions[i];
    const auto args =
        f.parameters.is_null() ? b.any_object() : b.compile(f.parameters, "/" + std::to_string(i));
    b.add_alternative(named,
                      cat({lit(json(f.name).dump() + ", " + json(arguments_key).dump() + ": "),
                           one(Grammar::ref(args))}));
  }
  const auto call =
      b.add_rule("call", {cat({lit(head), one(Grammar::ref(named)), lit("}" + tail)})});
  if (!many || separator.empty()) return b.finish(call);
  const auto more = b.new_rule("more-calls");
  b.add_alternative(more, {});
  b.add_alternative(more, cat({lit(separator), one(Grammar::ref(call)), one(Grammar::ref(more))}));
  return b.finish(b.add_rule("calls", {cat({one(Grammar::ref(call)), one(Grammar::ref(more))})}));
}

}  // namespace chosei
