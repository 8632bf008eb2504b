#pragma once
// Prepares a model for chat: picks the chat template (named, the model's own, or ChatML),
// and when the tokenizer lacks the template's special tokens adds them (after the base
// vocabulary, saved as added_tokens.json) and grows the embeddings to match.

#include <string>

#include "model/chat_template.h"
#include "model/model_dir.h"

namespace chosei {

// `template_name` empty: the model's template, else ChatML. Updates m.tokenizer (and its
// config's chat_template) and m.model in place.
ChatTemplate ensure_chat_tokens(LoadedModel& m, const std::string& template_name);

}  // namespace chosei
