#pragma once
// Prepares a loaded model for chat as fine-tuning does: the chat template chosen by the
// one policy (tokenizer/chat_messages.h), and when the tokenizer lacks the template's
// special tokens they are added after the base vocabulary (saved as added_tokens.json) and
// the embeddings grow to match.

#include <string>

#include "formats/model_dir.h"
#include "tokenizer/chat_template.h"

namespace chosei {

// `template_name` empty: the model's template, else ChatML. Updates m.tokenizer (and its
// config's chat_template) and m.model in place.
ChatTemplate ensure_chat_tokens(LoadedModel& m, const std::string& template_name);

}  // namespace chosei
