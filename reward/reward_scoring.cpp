#include "reward/reward_scoring.h"

#include <nlohmann/json.hpp>

#include "datasets/message_json.h"
#include "datasets/preference_example.h"
#include "datasets/text_lines.h"
#include "formats/score_model_dir.h"
#include "reward/pair_scores.h"
#include "tokenizer/chat_messages.h"

namespace chosei {

using json = nlohmann::ordered_json;  // key order as written: templates print tools and arguments in it

namespace {

struct ScoredText {
  bool raw = false;
  std::vector<Turn> prompt, answer;
};

ScoredText parse_line(const json& j) {
  if (!j.is_object()) throw RecordError{"data_type", "the line is not a JSON object"};
  ScoredText t;
  if (j.contains("messages")) {
    auto turns = message_list(j["messages"], "messages");
    if (turns.back().role != "assistant")
      throw RecordError{"answers_not_assistant", "the last message is not an assistant turn"};
    t.answer = {turns.back()};
    turns.pop_back();
    t.prompt = std::move(turns);
    return t;
  }
  if (!j.contains("prompt") || !j.contains("completion"))
    throw RecordError{"missing_field", "expected {\"prompt\", \"completion\"} or {\"messages\"}"};
  if (j["prompt"].is_string()) {
    t.raw = true;
    t.prompt = {{"user", string_field(j, "prompt", true), std::nullopt}};
    t.answer = {{"assistant", string_field(j, "completion", true), std::nullopt}};
    return t;
  }
  for (const auto& m : j["prompt"]) t.prompt.push_back(message_turn(m));
  if (j["completion"].is_array())
    t.answer = message_list(j["completion"], "completion");
  else if (j["completion"].is_object())
    t.answer = {message_turn(j["completion"])};
  else
    throw RecordError{"wrong_type", "a message-list prompt needs a message completion"};
  return t;
}

}  // namespace

std::size_t score_jsonl(const RewardScoreOptions& opt, std::ostream& out) {
  auto m = load_score_model_dir(opt.model);
  if (m.head_initialized)
    throw std::invalid_argument(opt.model + ": a causal LM, not a reward model (no score head)");
  auto tmpl = choose_chat_template(m.tokenizer.config, opt.chat_template);
  const auto limit = static_cast<std::size_t>(m.model->config().max_position_embeddings);
  std::vector<PromptAnswerIds> seqs;
  for (const auto& l : read_nonblank_lines(opt.jsonl)) {
    const std::string where = opt.jsonl + ":" + std::to_string(l.number);
    auto j = json::parse(l.text, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error(where + ": not valid JSON");
    ScoredText t;
    try {
      t = parse_line(j);
    } catch (const RecordError& e) {
      throw std::runtime_error(where + ": " + e.message + " (" + e.kind + ")");
    }
    seqs.push_back(
        tokenize_prompt_answer(t.raw, t.prompt, t.answer, *m.tokenizer.tokenizer, tmpl, where));
    if (seqs.back().ids.size() > limit)
      throw std::runtime_error(where + ": " + std::to_string(seqs.back().ids.size()) +
                               " tokens, over the model's " + std::to_string(limit));
  }
  ScoringOptions so;
  so.pairs_per_batch = static_cast<std::size_t>(std::max<std::int64_t>(1, opt.batch_size));
  so.capacity = limit;
  so.pad_id = std::max<TokenId>(0, m.tokenizer.tokenizer->eos_id());
  auto rewards = score_sequences(m.model, seqs, so);
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    json line = {{"reward", rewards[i]}};
    if (m.reward_mean && m.reward_std && *m.reward_std > 0)
      line["reward_normalized"] = (rewards[i] - *m.reward_mean) / *m.reward_std;
    if (opt.ids) line["ids"] = seqs[i].ids;
    out << line.dump() << "\n";
  }
  return seqs.size();
}

}  // namespace chosei
