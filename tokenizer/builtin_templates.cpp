#include "tokenizer/builtin_templates.h"

namespace chosei {

namespace {

// Roles a format has no markup for stop the render with the template's own error, as the
// models' templates do.
const char kUnknownRole[] =
    "{{ raise_exception('chat message role \"' + message['role'] + '\" is not system, user or "
    "assistant') }}";

std::vector<BuiltinTemplate> make_templates() {
  const std::string unknown = kUnknownRole;
  return {
      {"chatml",
       "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
       "message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}"
       "{{ '<|im_start|>assistant\\n' }}{% endif %}",
       {"<|im_start|>", "<|im_end|>"}},
      // Llama 3's markup; ipython carries Llama 3.1's tool results.
      {"llama3",
       "{{ '<|begin_of_text|>' }}{% for message in messages %}"
       "{% if message['role'] not in ['system', 'user', 'assistant', 'ipython'] %}" +
           unknown +
           "{% endif %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + "
           "message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}"
           "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
       {"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}},
      // Llama 2 folds the system prompt into the first user turn.
      {"llama2",
       "{% set ns = namespace(system='') %}{% for message in messages %}"
       "{% if message['role'] == 'system' %}{% set ns.system = message['content'] %}"
       "{% elif message['role'] == 'user' %}{{ '<s>[INST] ' }}{% if ns.system %}"
       "{{ '<<SYS>>\\n' + ns.system + '\\n<</SYS>>\\n\\n' }}{% set ns.system = '' %}{% endif %}"
       "{{ message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
       "{{ ' ' + message['content'] + ' </s>' }}{% else %}" +
           unknown + "{% endif %}{% endfor %}",
       {"<s>", "</s>"}},
      {"zephyr",
       "{% for message in messages %}"
       "{% if message['role'] not in ['system', 'user', 'assistant'] %}" +
           unknown +
           "{% endif %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '</s>' + "
           "'\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}",
       {"</s>"}},
      // Gemma has no system turn: the system prompt opens the first user turn.
      {"gemma",
       "{{ '<bos>' }}{% set ns = namespace(system='') %}{% for message in messages %}"
       "{% if message['role'] == 'system' %}{% set ns.system = message['content'] %}"
       "{% elif message['role'] in ['user', 'assistant'] %}"
       "{{ '<start_of_turn>' + ('model' if message['role'] == 'assistant' else 'user') + "
       "'\\n' }}{% if ns.system and message['role'] == 'user' %}{{ ns.system + '\\n\\n' }}"
       "{% set ns.system = '' %}{% endif %}{{ message['content'] + '<end_of_turn>\\n' }}"
       "{% else %}" +
           unknown +
           "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}"
           "{% endif %}",
       {"<bos>", "<start_of_turn>", "<end_of_turn>"}},
  };
}

}  // namespace

const std::vector<BuiltinTemplate>& builtin_templates() {
  static const std::vector<BuiltinTemplate> templates = make_templates();
  return templates;
}

const BuiltinTemplate* find_builtin_template(const std::string& name) {
  for (const auto& t : builtin_templates())
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace chosei
