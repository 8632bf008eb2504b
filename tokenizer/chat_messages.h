#pragma once
// The chat policy, written once and used by every command: which chat template a model
// uses, which token ids stop an answer, how a stored conversation becomes the messages a
// template renders, and how a tokenizer is given the template's special tokens when it
// lacks them (as fine-tuning does, so `data stats` counts what `sft` will train on).

#include <memory>
#include <string>
#include <vector>

#include "tokenizer/chat_template.h"
#include "tokenizer/conversation.h"
#include "tokenizer/tokenizer_loader.h"

namespace chosei {

// `requested`: a built-in format's name or a Jinja template file; else the model's own
// template (tokenizer_config.json's chat_template or chat_template.jinja); else ChatML (for
// models without one). Throws std::invalid_argument for an unknown name or a template that
// does not parse (naming its line and column).
ChatTemplate choose_chat_template(const TokenizerConfig& config, const std::string& requested = "");

// The template a fine-tuned model is written with: the chosen one, except that a training
// template ({% generation %} blocks) leaves the model's own in place.
std::string written_chat_template(const TokenizerConfig& config, const ChatTemplate& chosen);

// Generation stops at any EOS id (generation_config.json's, config.json's or the
// tokenizer's) and at the template's end-of-turn tokens that the tokenizer knows.
std::vector<TokenId> stop_token_ids(const std::vector<TokenId>& eos_ids, const ChatTemplate& tmpl,
                                    const Tokenizer& tokenizer);

// A conversation's turns as chat messages; an assistant turn with "weight": 0 is context,
// not a target (labeled false).
std::vector<ChatMessage> conversation_messages(const Conversation& conversation);

// The messages before the final assistant answer(s): what a model is asked to continue.
std::vector<ChatMessage> prompt_messages(const Conversation& conversation);

// Chooses the template (as choose_chat_template) and, when the tokenizer lacks some of its
// special tokens, extends it with them after the base vocabulary; the config's
// chat_template becomes the chosen template's Jinja. Returns the template; `added` (when
// given) receives the tokens added.
ChatTemplate prepare_chat_tokenizer(LoadedTokenizer& tokenizer, const std::string& requested,
                                    std::vector<std::string>* added = nullptr);

}  // namespace chosei
