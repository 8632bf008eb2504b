#pragma once
// The chat formats chosei names (chatml, llama3, llama2, zephyr, gemma): each one Jinja
// template, rendered by the same engine as a model's own, with the special-token strings its
// markup uses (added to a tokenizer that lacks them when fine-tuning starts from a base
// model). The registry: adding a format is one entry here and its test.

#include <string>
#include <vector>

namespace chosei {

struct BuiltinTemplate {
  std::string name;
  std::string jinja;
  std::vector<std::string> special_tokens;
};

const std::vector<BuiltinTemplate>& builtin_templates();
// nullptr when no built-in has that name.
const BuiltinTemplate* find_builtin_template(const std::string& name);

}  // namespace chosei
