#pragma once
// ChatTemplate's shared state (tokenizer/chat_template.cpp builds it, chat_rendering.cpp
// renders with it); not for other layers.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jinja/template.h"
#include "tokenizer/chat_template.h"

namespace chosei {

struct ChatTemplate::State {
  std::string name, source;
  std::shared_ptr<const jinja::Template> compiled;
  std::map<std::string, std::string> variables;   // bos_token, eos_token, ...
  std::map<std::string, jinja::Value> arguments;  // chat_template_kwargs
  std::vector<std::string> special_tokens;        // a built-in's markup
  bool builtin = false, renders_tools = false;
  std::vector<std::string> end_of_turn;
};

}  // namespace chosei
