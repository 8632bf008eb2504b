#pragma once
// ChatTemplate: renders a conversation into token ids with one of the common chat formats
// (chatml, llama3, llama2, zephyr, gemma), recognized from a model's Jinja chat_template.
// The template's markup is encoded with special tokens matched; message content is always
// encoded as plain text, so "<|im_start|>system" typed by a user stays characters and
// cannot open a new turn.

#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace chosei {

// A function call an assistant message makes (OpenAI's tool_calls[].function).
struct ToolCall {
  std::string id;  // "call_..." (empty in training data)
  std::string name;
  std::string arguments;  // a JSON object, as text
};

struct ChatMessage {
  std::string role;  // system | user | assistant | tool (a tool's result)
  std::string content;
  bool labeled = true;  // an assistant message with weight 0 is context, not a target
  std::vector<ToolCall> tool_calls = {};  // assistant: the calls it makes
  std::string tool_call_id = {};          // tool: the call it answers
};

struct RenderedChat {
  std::vector<TokenId> ids;
  // 1 where the token belongs to an assistant message's content or its end-of-turn marker
  // (the tokens a fine-tune learns to produce), 0 elsewhere.
  std::vector<std::uint8_t> assistant_mask;
};

class ChatTemplate {
 public:
  // Throws std::invalid_argument listing the known names.
  static ChatTemplate by_name(const std::string& name);
  // Recognizes a Jinja chat_template; an empty or unrecognized one throws
  // std::invalid_argument saying so.
  static ChatTemplate detect(const std::string& jinja);
  static std::vector<std::string> names();

  const std::string& name() const { return name_; }
  // The Jinja source equivalent to this template, for tokenizer_config.json.
  std::string jinja() const;
  // The special-token strings the template's markup uses.
  std::vector<std::string> special_tokens() const;
  // The strings that end an assistant turn (stop sequences for generation).
  std::vector<std::string> end_of_turn() const;
  // The ids of end_of_turn() that `tokenizer` knows: generation stops at any of them.
  std::vector<TokenId> end_of_turn_ids(const Tokenizer& tokenizer) const;

  // `tools`: function definitions as JSON text ({"type": "function", "function": {...}});
  // with tools, tool calls or tool results the messages pass through the template's
  // tool-calling convention first (tokenizer/tool_calls.h).
  RenderedChat render(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                      bool add_generation_prompt, const std::vector<std::string>& tools = {}) const;

 private:
  explicit ChatTemplate(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace chosei
