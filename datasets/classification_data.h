#pragma once
// Labeled texts for a sequence classifier: JSONL (or a JSON array) of
//   {"text": "...", "labels": ["violence", ...]}        a text judged as it is, or
//   {"messages": [...], "labels": [...]}                a conversation whose last turn is
//                                                       judged (rendered through the chat
//                                                       template, the others its context).
// "labels": [] (or ["safe"] where "safe" is the negative label) marks a negative. A single
// "label": "..." string is accepted too. Tokenized ids end at the judged text's last token
// (EOS for raw text, the end-of-turn token for messages), where the classifier reads.

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/preference_example.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/conversation.h"
#include "tokenizer/tokenizer.h"

namespace chosei {

struct ClassificationRecord {
  std::string text;         // raw text, or
  std::vector<Turn> turns;  // a conversation (the last turn is the one judged)
  std::vector<std::string> labels;
  std::string source;
  std::size_t line = 0;
  bool is_chat() const { return !turns.empty(); }
};

struct ClassificationDataset {
  std::vector<ClassificationRecord> records;
  std::vector<DataError> errors;  // with skip_invalid
};

// Throws DatasetError listing every bad record at file:line unless `skip_invalid`.
ClassificationDataset read_classification_dataset(const std::string& path,
                                                  bool skip_invalid = false);

struct ClassificationExample {
  PromptAnswerIds ids;
  std::vector<std::int64_t> labels;  // indices into the label list; empty: negative
  std::size_t record = 0;
  bool truncated = false;
};

// The labels in order of first appearance, `negative_label` (when not empty) left out: it
// names the absence of every category.
std::vector<std::string> collect_labels(const std::vector<ClassificationRecord>& records,
                                        const std::string& negative_label);

// Texts longer than max_seq_len keep their first max_seq_len - 1 tokens and their last (the
// one read); counted in `truncated`. A label outside `labels` (other than the negative)
// is an error naming the record's file:line.
std::vector<ClassificationExample> tokenize_classification_records(
    const std::vector<ClassificationRecord>& records, const std::vector<std::string>& labels,
    const std::string& negative_label, const Tokenizer& tokenizer, const ChatTemplate& tmpl,
    std::int64_t max_seq_len, std::int64_t* truncated = nullptr);

// One record's ids (the same policy; no truncation), for scoring a single text.
PromptAnswerIds classification_ids(const ClassificationRecord& record, const Tokenizer& tokenizer,
                                   const ChatTemplate& tmpl);

}  // namespace chosei
