#include "datasets/classification_data.h"

#include <algorithm>
#include <stdexcept>

#include "datasets/chat_reader.h"
#include "datasets/message_json.h"

namespace chosei {

namespace {

using json = nlohmann::ordered_json;  // key order as written

std::vector<std::string> record_labels(const json& j) {
  std::vector<std::string> labels;
  if (j.contains("label")) {
    if (!j["label"].is_string()) throw RecordError{"bad_labels", "\"label\" must be a string"};
    labels.push_back(j["label"].get<std::string>());
  } else if (j.contains("labels")) {
    if (!j["labels"].is_array())
      throw RecordError{"bad_labels", "\"labels\" must be an array of strings"};
    for (const auto& l : j["labels"]) {
      if (!l.is_string() || l.get<std::string>().empty())
        throw RecordError{"bad_labels", "\"labels\" must be an array of non-empty strings"};
      labels.push_back(l.get<std::string>());
    }
  } else {
    throw RecordError{"missing_labels", "no \"labels\" (or \"label\") field"};
  }
  return labels;
}

ClassificationRecord parse_record(const json& j) {
  if (!j.is_object()) throw RecordError{"not_an_object", "each record must be a JSON object"};
  ClassificationRecord r;
  if (j.contains("messages")) {
    r.turns = message_list(j["messages"], "messages");
  } else if (j.contains("text")) {
    r.text = string_field(j, "text", true);
    if (r.text.empty()) throw RecordError{"empty_text", "\"text\" is empty"};
  } else {
    throw RecordError{"missing_text", "no \"text\" or \"messages\" field"};
  }
  r.labels = record_labels(j);
  return r;
}

}  // namespace

ClassificationDataset read_classification_dataset(const std::string& path, bool skip_invalid) {
  ClassificationDataset out;
  std::vector<DataError> errors;
  for_each_json_record(
      path,
      [&](const json& j, std::size_t line) {
        try {
          auto r = parse_record(j);
          r.source = path;
          r.line = line;
          out.records.push_back(std::move(r));
        } catch (const RecordError& e) {
          errors.push_back({path, line, e.kind, e.message});
        }
      },
      errors);
  if (!errors.empty() && !skip_invalid) throw DatasetError(std::move(errors));
  out.errors = std::move(errors);
  return out;
}

std::vector<std::string> collect_labels(const std::vector<ClassificationRecord>& records,
                                        const std::string& negative_label) {
  std::vector<std::string> labels;
  for (const auto& r : records)
    for (const auto& l : r.labels)
      if (l != negative_label && std::find(labels.begin(), labels.end(), l) == labels.end())
        labels.push_back(l);
  return labels;
}

PromptAnswerIds classification_ids(const ClassificationRecord& r, const Tokenizer& tokenizer,
                                   const ChatTemplate& tmpl) {
  const std::string where = r.source + ":" + std::to_string(r.line);
  if (!r.is_chat())
    return tokenize_prompt_answer(true, {{"user", r.text, {}}}, {}, tokenizer, tmpl, where);
  std::vector<Turn> context(r.turns.begin(), r.turns.end() - 1);
  return tokenize_prompt_answer(false, context, {r.turns.back()}, tokenizer, tmpl, where,
                                AnswerEnd::kEndOfTurn);
}

std::vector<ClassificationExample> tokenize_classification_records(
    const std::vector<ClassificationRecord>& records, const std::vector<std::string>& labels,
    const std::string& negative_label, const Tokenizer& tokenizer, const ChatTemplate& tmpl,
    std::int64_t max_seq_len, std::int64_t* truncated) {
  std::vector<ClassificationExample> out;
  std::int64_t cut = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    ClassificationExample e;
    e.record = i;
    for (const auto& l : r.labels) {
      if (l == negative_label) continue;
      const auto it = std::find(labels.begin(), labels.end(), l);
      if (it == labels.end())
        throw std::invalid_argument(r.source + ":" + std::to_string(r.line) + ": label \"" + l +
                                    "\" is not one of the model's labels");
      const auto index = static_cast<std::int64_t>(it - labels.begin());
      if (std::find(e.labels.begin(), e.labels.end(), index) == e.labels.end())
        e.labels.push_back(index);
    }
    e.ids = classification_ids(r, tokenizer, tmpl);
    const auto limit = static_cast<std::size_t>(std::max<std::int64_t>(2, max_seq_len));
    if (e.ids.ids.size() > limit) {
      const TokenId last = e.ids.ids.back();
      e.ids.ids.resize(limit - 1);
      e.ids.ids.push_back(last);
      e.ids.prompt_tokens = std::min(e.ids.prompt_tokens, e.ids.ids.size() - 1);
      e.truncated = true;
      ++cut;
    }
    out.push_back(std::move(e));
  }
  if (truncated) *truncated = cut;
  return out;
}

}  // namespace chosei
