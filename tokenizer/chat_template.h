#pragma once
// ChatTemplate: a conversation rendered into token ids by a Jinja chat template, exactly as
// transformers' apply_chat_template renders and tokenizes it (jinja/): the model's own
// template (tokenizer_config.json or chat_template.jinja), a template file, or one of the
// named built-in formats (tokenizer/builtin_templates.h).
//
// Special tokens the template writes become their ids; BOS is whatever the template writes
// (never added twice). Message content is data: a special-token string a user types stays
// characters and cannot open a new turn. Labels for fine-tuning are the template's
// {% generation %} blocks when it has them, else what each assistant message adds to the
// rendered text (TRL's prefix rule); the turn terminator is part of them.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace chosei {

namespace jinja {
class Template;
}

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
  std::string name = {};                  // tool: the function that answered
  std::string reasoning_content = {};     // assistant: its thinking, for templates that write it
};

struct RenderedChat {
  std::vector<TokenId> ids;
  // 1 where the token belongs to what a labeled assistant message adds (its content, tool
  // calls and turn terminator: the tokens a fine-tune learns to produce), 0 elsewhere.
  // Filled by render_labeled only.
  std::vector<std::uint8_t> assistant_mask;
};

class ChatTemplate {
 public:
  // A built-in format; throws std::invalid_argument listing the known names.
  static ChatTemplate by_name(const std::string& name);
  // A Jinja template; `variables` are the special-token strings (bos_token, eos_token, ...)
  // and other names it reads. Throws jinja::TemplateError where the source does not parse.
  static ChatTemplate from_jinja(const std::string& source, const std::string& name,
                                 std::map<std::string, std::string> variables = {});
  static std::vector<std::string> names();  // the built-in formats

  // The same template with more variables for it to read (`chat_template_kwargs`, e.g.
  // Qwen3's enable_thinking), each a JSON value as text. Throws std::invalid_argument for a
  // value that is not JSON or a name the renderer sets itself (messages, tools,
  // add_generation_prompt).
  ChatTemplate with_arguments(const std::map<std::string, std::string>& json_values) const;

  // The built-in's name, "model" for a model's own template, or the file it came from.
  const std::string& name() const;
  const std::string& jinja() const;
  // The special-token strings a built-in's markup uses (empty for a model's own template:
  // its tokenizer has them).
  const std::vector<std::string>& special_tokens() const;
  // The strings that end an assistant turn (stop sequences for generation), found by
  // rendering a probe answer; the EOS token where the template cannot render one.
  std::vector<std::string> end_of_turn() const;
  // The ids of end_of_turn() that `tokenizer` has as single tokens.
  std::vector<TokenId> end_of_turn_ids(const Tokenizer& tokenizer) const;
  // Whether the template writes a `tools` list itself (else tools go through
  // tokenizer/tool_calls.h's conventions for the built-in formats).
  bool renders_tools() const;

  // The rendered text. `tools`: function definitions as JSON text ({"type": "function",
  // "function": {...}}). Throws jinja::TemplateError (with the template's own message for
  // raise_exception) and std::invalid_argument for tools a format cannot write.
  std::string render_text(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                          const std::vector<std::string>& tools = {}) const;
  // The token ids of render_text (assistant_mask empty).
  RenderedChat render(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                      bool add_generation_prompt, const std::vector<std::string>& tools = {}) const;
  // The whole conversation's ids and its labels. Throws std::invalid_argument when the
  // template has no {% generation %} blocks and is not prefix-preserving (rendering the
  // conversation up to an assistant answer does not begin the whole rendering).
  RenderedChat render_labeled(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                              const std::vector<std::string>& tools = {}) const;

 public:
  struct State;  // tokenizer/chat_template_state.h

 private:
  explicit ChatTemplate(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

}  // namespace chosei
