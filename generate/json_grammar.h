#pragma once
// JSON as a byte Grammar, for constrained decoding (OpenAI's response_format): any JSON
// object ("json_object"), or the values a JSON Schema admits ("json_schema"), compiled the
// way llama.cpp's json-schema-to-grammar does. The output is compact JSON with optional
// spaces and newlines between tokens; strings are valid UTF-8 with escapes that never
// encode a lone surrogate; numbers have at most 16 integer digits and a two-digit exponent
// (finite as a double; integers below 2^53 are exact).
//
// Supported: type (one or a list), properties, required, additionalProperties (a schema
// without properties makes a dictionary; with properties, only the listed ones are
// produced, which every additionalProperties admits), items, minItems, maxItems, enum,
// const, anyOf, allOf of one schema, $ref into #/$defs or #/definitions (recursion too),
// minLength, maxLength, minimum 0 on numbers, and the annotations (title, description,
// default, examples, ...). Anything else throws JsonSchemaError naming the keyword and
// where it is: a constraint is never silently dropped.

#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "generate/grammar.h"

namespace chosei {

class JsonSchemaError : public std::invalid_argument {
 public:
  JsonSchemaError(const std::string& pointer, const std::string& message)
      : std::invalid_argument(message + " (at " + (pointer.empty() ? "/" : pointer) + ")"),
        pointer_(pointer) {}
  const std::string& pointer() const { return pointer_; }

 private:
  std::string pointer_;
};

// Any JSON object.
std::shared_ptr<const Grammar> json_object_grammar();
// The JSON texts `schema` admits (within the limits above).
// A function a tool call may name, with its parameters' schema (null: any object).
struct ToolFunction {
  std::string name;
  nlohmann::ordered_json parameters;
};
// Tool calls as a template writes them (tokenizer/tool_calls.h's ToolCallSyntax): `head`
// "<one of functions>", "<arguments_key>": <its parameters>} `tail`, and with `many` more
// calls after `separator` (each again head ... tail). head is the syntax's prefix plus
// {"name": , less what a trigger already wrote. A parameters schema the compiler does not
// support throws JsonSchemaError with the pointer under /<function index>.
std::shared_ptr<const Grammar> tool_call_grammar(const std::vector<ToolFunction>& functions,
                                                 const std::string& head,
                                                 const std::string& arguments_key,
                                                 const std::string& tail,
                                                 const std::string& separator, bool many);

// An ordered_json, because properties are produced in the order the schema lists them.
std::shared_ptr<const Grammar> json_schema_grammar(const nlohmann::ordered_json& schema);

}  // namespace chosei
