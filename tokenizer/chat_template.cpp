#include "tokenizer/chat_template.h"

#include <stdexcept>

#include "tokenizer/tool_calls.h"

namespace chosei {

namespace {

// One template as data: markup around each message, by role.
struct TemplateSpec {
  const char* name;
  const char* bos;  // markup at the very start
  const char* system_open;
  const char* user_open;
  const char* assistant_open;
  const char* close;            // after any message; for assistant, labeled up to close_label_len
  const char* assistant_close;  // what ends an assistant turn (labeled)
  const char* after_close;      // markup after the close (not labeled)
  const char* generation_prompt;
  const char* specials[6];  // special-token strings appearing in markup
  const char* jinja;
};

const TemplateSpec kTemplates[] = {
    {"chatml",
     "",
     "<|im_start|>system\n",
     "<|im_start|>user\n",
     "<|im_start|>assistant\n",
     "<|im_end|>",
     "<|im_end|>",
     "\n",
     "<|im_start|>assistant\n",
     {"<|im_start|>", "<|im_end|>"},
     "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
     "message['content'] + "
     "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ "
     "'<|im_start|>assistant\\n' }}{% endif %}"},
    {"llama3",
     "<|begin_of_text|>",
     "<|start_header_id|>system<|end_header_id|>\n\n",
     "<|start_header_id|>user<|end_header_id|>\n\n",
     "<|start_header_id|>assistant<|end_header_id|>\n\n",
     "<|eot_id|>",
     "<|eot_id|>",
     "",
     "<|start_header_id|>assistant<|end_header_id|>\n\n",
     {"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"},
     "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
     "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if "
     "add_generation_prompt "
     "%}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"},
    {"zephyr",
     "",
     "<|system|>\n",
     "<|user|>\n",
     "<|assistant|>\n",
     "</s>",
     "</s>",
     "\n",
     "<|assistant|>\n",
     {"</s>"},
     "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + "
     "eos_token + '\\n' }}"
     "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"},
    {"gemma",
     "<bos>",
     "<start_of_turn>user\n",
     "<start_of_turn>user\n",
     "<start_of_turn>model\n",
     "<end_of_turn>",
     "<end_of_turn>",
     "\n",
     "<start_of_turn>model\n",
     {"<bos>", "<start_of_turn>", "<end_of_turn>"},
     "{{ bos_token }}{% for message in messages %}{% set role = 'model' if message['role'] == "
     "'assistant' else "
     "message['role'] %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + "
     "'<end_of_turn>\\n' }}"
     "{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"},
    {"llama2",
     "",
     "<s>[INST] <<SYS>>\n",
     "<s>[INST] ",
     " ",
     " [/INST]",
     " </s>",
     "",
     "",
     {"<s>", "</s>"},
     "{% for message in messages %}{% if message['role'] == 'system' %}{{ '<<SYS>>\\n' + "
     "message['content'] + "
     "'\\n<</SYS>>\\n\\n' }}{% elif message['role'] == 'user' %}{{ bos_token + '[INST] ' + "
     "message['content'] + "
     "' [/INST]' }}{% else %}{{ ' ' + message['content'] + ' ' + eos_token }}{% endif %}{% endfor "
     "%}"},
};

const TemplateSpec& spec_named(const std::string& name) {
  for (const auto& t : kTemplates)
    if (name == t.name) return t;
  std::string known;
  for (const auto& t : kTemplates) known += (known.empty() ? "" : ", ") + std::string(t.name);
  throw std::invalid_argument("unknown chat template \"" + name + "\" (known: " + known + ")");
}

// Encodes template markup: its special-token strings become their ids, the rest plain text.
void encode_markup(const Tokenizer& tok, const TemplateSpec& spec, const std::string& markup,
                   std::vector<TokenId>& out) {
  std::size_t pos = 0;
  while (pos < markup.size()) {
    std::size_t best = std::string::npos, best_len = 0;
    for (const char* s : spec.specials) {
      if (!s) break;
      auto hit = markup.find(s, pos);
      if (hit < best) best = hit, best_len = std::string(s).size();
    }
    std::string text =
        markup.substr(pos, best == std::string::npos ? std::string::npos : best - pos);
    if (!text.empty()) {
      auto ids = tok.encode_plain(text);
      out.insert(out.end(), ids.begin(), ids.end());
    }
    if (best == std::string::npos) break;
    std::string special = markup.substr(best, best_len);
    TokenId id = tok.token_to_id(special);
    if (id < 0)
      throw std::invalid_argument("the tokenizer has no token " + special + " that the " +
                                  std::string(spec.name) + " chat template needs");
    out.push_back(id);
    pos = best + best_len;
  }
}

}  // namespace

ChatTemplate ChatTemplate::by_name(const std::string& name) {
  return ChatTemplate(spec_named(name).name);
}

ChatTemplate ChatTemplate::detect(const std::string& jinja) {
  if (jinja.empty()) throw std::invalid_argument("the model has no chat template");
  if (jinja.find("<|im_start|>") != std::string::npos) return by_name("chatml");
  if (jinja.find("<|start_header_id|>") != std::string::npos) return by_name("llama3");
  if (jinja.find("<start_of_turn>") != std::string::npos) return by_name("gemma");
  if (jinja.find("<|assistant|>") != std::string::npos) return by_name("zephyr");
  if (jinja.find("[INST]") != std::string::npos) return by_name("llama2");
  throw std::invalid_argument(
      "unrecognized chat template (chosei knows chatml, llama3, llama2, zephyr, gemma)");
}

std::vector<std::string> ChatTemplate::names() {
  std::vector<std::string> n;
  for (const auto& t : kTemplates) n.push_back(t.name);
  return n;
}

std::string ChatTemplate::jinja() const { return spec_named(name_).jinja; }

std::vector<std::string> ChatTemplate::special_tokens() const {
  std::vector<std::string> out;
  for (const char* s : spec_named(name_).specials)
    if (s) out.push_back(s);
  return out;
}

std::vector<std::string> ChatTemplate::end_of_turn() const {
  std::string close = spec_named(name_).assistant_close;
  while (!close.empty() && close[0] == ' ') close.erase(0, 1);
  return {close};
}

std::vector<TokenId> ChatTemplate::end_of_turn_ids(const Tokenizer& tokenizer) const {
  std::vector<TokenId> ids;
  for (const auto& s : end_of_turn())
    if (const TokenId id = tokenizer.token_to_id(s); id >= 0) ids.push_back(id);
  return ids;
}

RenderedChat ChatTemplate::render(const Tokenizer& tok, const std::vector<ChatMessage>& given,
                                  bool add_generation_prompt,
                                  const std::vector<std::string>& tools) const {
  const auto& spec = spec_named(name_);
  const auto messages = uses_tools(given, tools) ? tool_messages(*this, given, tools) : given;
  RenderedChat r;
  auto emit = [&](const std::string& markup, bool label) {
    encode_markup(tok, spec, markup, r.ids);
    r.assistant_mask.resize(r.ids.size(), label ? 1 : 0);
  };
  auto emit_content = [&](const std::string& content, bool label) {
    auto ids = tok.encode_plain(content);
    r.ids.insert(r.ids.end(), ids.begin(), ids.end());
    r.assistant_mask.resize(r.ids.size(), label ? 1 : 0);
  };
  emit(spec.bos, false);
  const bool llama2 = name_ == "llama2";
  std::string pending_system;  // llama2 and gemma fold the system prompt into the first user turn
  for (const auto& m : messages) {
    if (m.role == "ipython" && name_ == "llama3") {  // Llama 3.1's tool results
      emit("<|start_header_id|>ipython<|end_header_id|>\n\n", false);
      emit_content(m.content, false);
      emit(spec.close, false);
      continue;
    }
    if (m.role != "system" && m.role != "user" && m.role != "assistant")
      throw std::invalid_argument("chat message role \"" + m.role +
                                  "\" is not system, user or assistant");
    if (m.role == "system" && (llama2 || name_ == "gemma")) {
      pending_system = m.content;
      continue;
    }
    const bool assistant = m.role == "assistant";
    if (m.role == "user" && !pending_system.empty()) {
      if (llama2) {
        emit("<s>[INST] <<SYS>>\n", false);
        emit_content(pending_system, false);
        emit("\n<</SYS>>\n\n", false);
      } else {
        emit(spec.user_open, false);
        emit_content(pending_system + "\n\n", false);
      }
      pending_system.clear();
      emit_content(m.content, false);
      emit(spec.close, false);
      emit(spec.after_close, false);
      continue;
    }
    emit(m.role == "system" ? spec.system_open
         : m.role == "user" ? spec.user_open
                            : spec.assistant_open,
         false);
    const bool label = assistant && m.labeled;
    emit_content(m.content, label);
    emit(assistant ? spec.assistant_close : spec.close, label);
    emit(spec.after_close, false);
  }
  if (add_generation_prompt) emit(spec.generation_prompt, false);
  return r;
}

}  // namespace chosei
