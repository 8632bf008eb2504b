#include "tokenizer/chat_messages.h"

#include <algorithm>
#include <filesystem>

#include "base/atomic_file.h"
#include "jinja/template_error.h"
#include "tokenizer/builtin_templates.h"
#include "tokenizer/extended_tokenizer.h"

namespace chosei {

namespace {

std::map<std::string, std::string> template_variables(const TokenizerConfig& config) {
  std::map<std::string, std::string> v;
  for (const auto& [name, value] : {std::pair{"bos_token", config.bos_token},
                                    {"eos_token", config.eos_token},
                                    {"pad_token", config.pad_token},
                                    {"unk_token", config.unk_token}})
    if (!value.empty()) v[name] = value;
  return v;
}

ChatTemplate parsed(const std::string& source, const std::string& name, const std::string& where,
                    const TokenizerConfig& config) {
  try {
    return ChatTemplate::from_jinja(source, name, template_variables(config));
  } catch (const jinja::TemplateError& e) {
    throw std::invalid_argument(where + ": " + e.what());
  }
}

// A `{% generation %}` tag (any whitespace control), not the word in add_generation_prompt.
bool has_generation_blocks(const std::string& source) {
  for (auto at = source.find("{%"); at != std::string::npos; at = source.find("{%", at + 2)) {
    auto k = at + 2;
    while (k < source.size() && (source[k] == '-' || source[k] == '+' || source[k] == ' ' ||
                                 source[k] == '\n' || source[k] == '\t'))
      ++k;
    if (source.compare(k, 10, "generation") == 0) return true;
  }
  return false;
}

}  // namespace

ChatTemplate choose_chat_template(const TokenizerConfig& config, const std::string& requested) {
  if (!requested.empty()) {
    const bool path =
        requested.find('/') != std::string::npos || requested.find(".jinja") != std::string::npos;
    if (path && !std::filesystem::is_regular_file(requested))
      throw std::invalid_argument(requested + ": no such chat template file");
    if (find_builtin_template(requested) || !path) return ChatTemplate::by_name(requested);
    return parsed(read_file(requested), requested, requested, config);
  }
  if (config.chat_template.empty()) return ChatTemplate::by_name("chatml");
  return parsed(config.chat_template, "model", "the model's chat template", config);
}

std::string written_chat_template(const TokenizerConfig& config, const ChatTemplate& chosen) {
  const bool training_only =
      has_generation_blocks(chosen.jinja()) && !find_builtin_template(chosen.name());
  if (training_only && !config.chat_template.empty()) return config.chat_template;
  return chosen.jinja();
}

std::vector<TokenId> stop_token_ids(const std::vector<TokenId>& eos_ids, const ChatTemplate& tmpl,
                                    const Tokenizer& tokenizer) {
  std::vector<TokenId> ids = eos_ids;
  for (TokenId id : tmpl.end_of_turn_ids(tokenizer))
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  return ids;
}

std::vector<ChatMessage> conversation_messages(const Conversation& conversation) {
  std::vector<ChatMessage> out;
  for (const auto& t : conversation.turns) {
    ChatMessage m{t.role, t.content, !(t.weight && *t.weight == 0.0)};
    m.reasoning_content = t.reasoning_content;
    for (const auto& [name, arguments] : t.tool_calls)
      m.tool_calls.push_back({"", name, arguments});
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<ChatMessage> prompt_messages(const Conversation& conversation) {
  auto messages = conversation_messages(conversation);
  while (!messages.empty() && messages.back().role == "assistant") messages.pop_back();
  return messages;
}

ChatTemplate prepare_chat_tokenizer(LoadedTokenizer& tokenizer, const std::string& requested,
                                    std::vector<std::string>* added) {
  auto tmpl = choose_chat_template(tokenizer.config, requested);
  std::vector<std::string> missing;
  for (const auto& t : tmpl.special_tokens())
    if (tokenizer.tokenizer->token_to_id(t) < 0) missing.push_back(t);
  if (!missing.empty()) {
    std::shared_ptr<const Tokenizer> base(std::move(tokenizer.tokenizer));
    tokenizer.tokenizer = std::make_unique<ExtendedTokenizer>(base, missing);
  }
  tokenizer.config.chat_template = written_chat_template(tokenizer.config, tmpl);
  if (added) *added = std::move(missing);
  return tmpl;
}

}  // namespace chosei
