#pragma once
// Writes Conversations as OpenAI chat-format JSONL (one {"messages": [...]} per line, extra
// fields kept at the top level), atomically.

#include <string>
#include <vector>

#include "tokenizer/conversation.h"

namespace chosei {

std::string conversation_to_openai_json(const Conversation& c);
void write_openai_jsonl(const std::string& path, const std::vector<Conversation>& conversations);

}  // namespace chosei
