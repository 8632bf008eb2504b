#pragma once
// A POST /v1/chat/completions body, parsed and checked field by field. Every problem is an
// ApiError(400) naming the field (`param`), as OpenAI's API answers.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "chat/generation_params.h"
#include "generate/json_grammar.h"
#include "tokenizer/chat_template.h"

namespace chosei {

// response_format: free text, any JSON object, or JSON that a schema admits.
struct ResponseFormat {
  std::string type = "text";      // text | json_object | json_schema
  std::string name;               // json_schema.name
  bool strict = false;            // json_schema.strict (the schema is always enforced)
  nlohmann::ordered_json schema;  // json_schema.schema, properties in the order written
};

// tools and tool_choice: which functions the model is told of and must, may or must not call.
struct ToolRequest {
  std::vector<ToolFunction> functions;   // tools[].function: name and parameters
  std::vector<std::string> definitions;  // each tool as JSON text, for the prompt
  std::string choice = "auto";           // none | auto | required | function
  std::string forced;                    // the function named by tool_choice
  bool parallel = true;                  // parallel_tool_calls
  bool active() const { return !functions.empty() && choice != "none"; }
};

struct ChatRequest : GenerationParams {
  std::vector<ChatMessage> messages;  // "developer" arrives as "system"
  bool logprobs = false;
  std::int64_t top_logprobs = 0;  // 0..20, with logprobs
  ResponseFormat response_format;
  ToolRequest tools;
  // vLLM's and SGLang's chat_template_kwargs: more variables for the model's template
  // (Qwen3's enable_thinking), each a JSON value as text.
  std::map<std::string, std::string> chat_template_kwargs;
};

// chat_template_kwargs from a request body (vLLM's shape), values in the order written.
std::map<std::string, std::string> parse_chat_template_kwargs(const nlohmann::json& body,
                                                              const std::string& raw);

// `raw` is the body's text: a JSON schema is read from it again to keep its properties'
// order (nlohmann::json sorts keys); without it they come in sorted order.
ChatRequest parse_chat_request(const nlohmann::json& body, const RequestLimits& limits = {},
                               const std::string& raw = "");

}  // namespace chosei
