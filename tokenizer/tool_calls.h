#pragma once
// Tool calling as each chat template spells it: where the tool definitions go, how an
// assistant's calls and a tool's results are written, and how a reply is read back into
// calls. One policy, used by training (rendering tool-calling conversations), serving
// (prompts with tools, answers with tool_calls) and constrained decoding (the syntax).
//
//   chatml (our convention, and Qwen2/Qwen2.5's Hermes-style format): the tools in
//     <tools></tools> in the system message; a call is
//     <tool_call>\n{"name": N, "arguments": {...}}\n</tool_call>; results come back in a user
//     turn as <tool_response>\n...\n</tool_response>.
//   llama3 (Llama 3.1's JSON tool calling): the tools in the first user message; a call is
//     {"name": N, "parameters": {...}}; results come back as the ipython role.
//   mistral: [TOOL_CALLS][{"name": N, "arguments": {...}}] (the model's own template writes
//     the tools; only replies are read here).
// A model's own template is read for its convention (<tool_call>, [TOOL_CALLS], ipython);
// one without a convention asked for tools throws std::invalid_argument.

#include <string>
#include <vector>

#include "tokenizer/chat_template.h"

namespace chosei {

// How a template writes one call: prefix + {"name": "N", "<arguments_key>": ARGS} + suffix;
// several calls are joined by `separator` (empty: one call only). `trigger` is the text
// that starts a call in a free reply.
struct ToolCallSyntax {
  std::string prefix, arguments_key, suffix, separator, trigger;
};

enum class ToolConvention { kNone, kHermes, kLlama3Json, kMistral };
ToolConvention tool_convention(const ChatTemplate& tmpl);

bool supports_tools(const ChatTemplate& tmpl);
// Throws std::invalid_argument for a template without a convention.
ToolCallSyntax tool_call_syntax(const ChatTemplate& tmpl);

// Whether rendering needs tool_messages: tools given, or a message with calls or results.
bool uses_tools(const std::vector<ChatMessage>& messages, const std::vector<std::string>& tools);
// The messages with the tools, calls and results written in the template's convention (only
// system, user, assistant, and llama3's ipython remain). Calls stay labeled as their
// assistant message; results are context.
std::vector<ChatMessage> tool_messages(const ChatTemplate& tmpl,
                                       const std::vector<ChatMessage>& messages,
                                       const std::vector<std::string>& tools);

// A reply read back: the text before the first call, and the calls (arguments as compact
// JSON). A call that is not well-formed JSON stays in the content.
struct ParsedReply {
  std::string content;
  std::vector<ToolCall> calls;
};
ParsedReply parse_tool_calls(const ChatTemplate& tmpl, const std::string& reply);

}  // namespace chosei
