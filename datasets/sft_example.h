#pragma once
// Turns conversations into training sequences: the chat template renders each one, and
// only assistant content and its end-of-turn token carry labels (so the model learns to
// stop); system and user tokens, and assistant turns with "weight": 0, are masked with -100.
// Sequences longer than the limit are dropped or truncated, as the caller chooses, and
// counted either way.

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/chat_template.h"
#include "tokenizer/conversation.h"
#include "tokenizer/tokenizer.h"

namespace chosei {

constexpr std::int32_t kIgnoreLabel = -100;  // PyTorch cross_entropy's ignore_index

struct SftExample {
  std::vector<TokenId> ids;
  std::vector<std::int32_t> labels;  // ids where trained, kIgnoreLabel elsewhere; same length
  std::int64_t target_tokens() const;
};

enum class Truncation { kDrop, kTruncate };

struct SftTokenizeReport {
  std::int64_t kept = 0, dropped_too_long = 0, truncated = 0, dropped_no_target = 0;
};

std::vector<SftExample> tokenize_conversations(const std::vector<Conversation>& conversations,
                                               const Tokenizer& tokenizer, const ChatTemplate& tmpl,
                                               std::int64_t max_seq_len, Truncation truncation,
                                               SftTokenizeReport* report);

// Plain text for continued pretraining: each document is encoded (special tokens as the
// tokenizer adds them, then an end-of-text separator) and every token is a target. Long
// documents are cut into max_seq_len pieces.
std::vector<SftExample> tokenize_documents(const std::vector<std::string>& documents,
                                           const Tokenizer& tokenizer, TokenId separator,
                                           std::int64_t max_seq_len);

}  // namespace chosei
