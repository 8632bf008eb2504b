#pragma once
// Reads supervised fine-tuning data into Conversations, from any of:
//   OpenAI chat JSONL  {"messages":[{"role","content","weight"?}]}
//   ShareGPT           {"conversations":[{"from":"human|gpt|system","value"}]} (+ "system")
//   Alpaca             {"instruction","input"?,"output","system"?,"history"?}
//   CSV                with a column mapping, e.g. instruction=user, response=assistant
// as JSONL (one record a line) or a JSON array (LLaMA-Factory's .json files). The format is
// detected per record unless given.
//
// Every bad record is an error at `file:line` with a kind; none is silently dropped. With
// skip_invalid the bad records are counted and left out; without it the first errors are
// thrown as DatasetError.

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "tokenizer/conversation.h"

namespace chosei {

struct ChatReadOptions {
  std::string format = "auto";                    // auto | openai | sharegpt | alpaca | csv
  std::map<std::string, std::string> column_map;  // CSV column -> role (system|user|assistant)
  std::vector<std::string>
      keep_fields;  // CSV columns carried along (JSON keeps every string field)
  bool skip_invalid = false;
};

struct ChatDataset {
  std::vector<Conversation> conversations;
  std::vector<DataError> errors;  // filled when skip_invalid
};

class DatasetError : public std::runtime_error {
 public:
  explicit DatasetError(std::vector<DataError> errors);
  const std::vector<DataError>& errors() const { return errors_; }

 private:
  std::vector<DataError> errors_;
};

ChatDataset read_chat_dataset(const std::string& path, const ChatReadOptions& options = {});

// Parses "col=role" mappings; throws std::invalid_argument on a malformed one.
std::map<std::string, std::string> parse_column_map(const std::vector<std::string>& specs);

}  // namespace chosei
