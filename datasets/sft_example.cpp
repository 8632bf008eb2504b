#include "datasets/sft_example.h"

#include <algorithm>

#include "tokenizer/chat_messages.h"

namespace chosei {

std::int64_t SftExample::target_tokens() const {
  return std::count_if(labels.begin(), labels.end(),
                       [](std::int32_t l) { return l != kIgnoreLabel; });
}

std::vector<SftExample> tokenize_conversations(const std::vector<Conversation>& conversations,
                                               const Tokenizer& tokenizer, const ChatTemplate& tmpl,
                                               std::int64_t max_seq_len, Truncation truncation,
                                               SftTokenizeReport* report) {
  SftTokenizeReport r;
  std::vector<SftExample> out;
  for (const auto& c : conversations) {
    auto rendered = tmpl.render_labeled(tokenizer, conversation_messages(c), c.tools);
    SftExample ex;
    ex.ids = std::move(rendered.ids);
    ex.labels.resize(ex.ids.size());
    for (std::size_t i = 0; i < ex.ids.size(); ++i)
      ex.labels[i] = rendered.assistant_mask[i] ? ex.ids[i] : kIgnoreLabel;
    if (static_cast<std::int64_t>(ex.ids.size()) > max_seq_len) {
      if (truncation == Truncation::kDrop) {
        ++r.dropped_too_long;
        continue;
      }
      ex.ids.resize(static_cast<std::size_t>(max_seq_len));
      ex.labels.resize(static_cast<std::size_t>(max_seq_len));
      ++r.truncated;
    }
    if (ex.target_tokens() == 0) {
      ++r.dropped_no_target;
      continue;
    }
    ++r.kept;
    out.push_back(std::move(ex));
  }
  if (report) *report = r;
  return out;
}

std::vector<SftExample> tokenize_documents(const std::vector<std::string>& documents,
                                           const Tokenizer& tokenizer, TokenId separator,
                                           std::int64_t max_seq_len) {
  std::vector<SftExample> out;
  for (const auto& doc : documents) {
    auto ids = tokenizer.encode(doc, /*add_special=*/true);
    if (separator >= 0 && (ids.empty() || ids.back() != separator)) ids.push_back(separator);
    for (std::size_t start = 0; start < ids.size();
         start += static_cast<std::size_t>(max_seq_len)) {
      SftExample ex;
      auto end = std::min(ids.size(), start + static_cast<std::size_t>(max_seq_len));
      ex.ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(start),
                    ids.begin() + static_cast<std::ptrdiff_t>(end));
      ex.labels.assign(ex.ids.begin(), ex.ids.end());
      if (ex.ids.size() >= 2) out.push_back(std::move(ex));
    }
  }
  return out;
}

}  // namespace chosei
