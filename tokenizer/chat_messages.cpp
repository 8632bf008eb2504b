#include "tokenizer/chat_messages.h"

#include <algorithm>

#include "tokenizer/extended_tokenizer.h"

namespace chosei {

ChatTemplate choose_chat_template(const TokenizerConfig& config, const std::string& requested) {
  if (!requested.empty()) return ChatTemplate::by_name(requested);
  if (config.chat_template.empty()) return ChatTemplate::by_name("chatml");
  return ChatTemplate::detect(config.chat_template);
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
  tokenizer.config.chat_template = tmpl.jinja();
  if (added) *added = std::move(missing);
  return tmpl;
}

}  // namespace chosei
