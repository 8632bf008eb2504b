#include "eval/eval_recipe.h"
#include "tokenizer/chat_messages.h"

#include "formats/chat_tokens.h"

#include <cmath>
#include <fstream>
#include <iostream>
#include <numeric>

#include "base/atomic_file.h"
#include "datasets/chat_reader.h"
#include "datasets/packed_batch.h"
#include "datasets/sft_example.h"
#include "eval/prompt_answers.h"
#include "formats/model_dir.h"
#include "tokenizer/chat_template.h"
#include "train/lm_evaluation.h"
#include "train/text_metrics.h"

namespace chosei {

using nlohmann::json;

namespace {

struct DataLoss {
  double sum = 0;
  std::int64_t tokens = 0, examples = 0;
};

struct ModelScores {
  double loss_sum = 0;
  std::int64_t tokens = 0, examples = 0;
  DataLoss general;
  double f1 = 0, rouge = 0;
  std::int64_t generated = 0;
  std::vector<std::string> answers;
  json summary() const {
    const double loss = tokens ? loss_sum / double(tokens) : std::nan("");
    json j = {{"loss", loss},
              {"perplexity", std::exp(loss)},
              {"tokens", tokens},
              {"examples", examples},
              {"generated", generated}};
    if (generated) j["token_f1"] = f1 / double(generated), j["rouge_l"] = rouge / double(generated);
    if (general.tokens) {
      const double g = general.sum / double(general.tokens);
      j["general_loss"] = g, j["general_perplexity"] = std::exp(g);
    }
    return j;
  }
};

// The summed loss on the assistant tokens of `data`, truncated to `max_len`.
DataLoss loss_on(LoadedModel& m, const ChatTemplate& tmpl, const std::vector<Conversation>& data,
                 std::int64_t max_len) {
  SftTokenizeReport report;
  auto examples = tokenize_conversations(data, *m.tokenizer.tokenizer, tmpl, max_len,
                                         Truncation::kTruncate, &report);
  // Packed rows (each document attends only to itself): the same loss, fewer forwards. Rows
  // no longer than the longest document (at least 512): attention costs the square of a row.
  std::vector<std::size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::size_t longest = 512;
  for (const auto& e : examples) longest = std::max(longest, e.ids.size());
  const auto row = std::min(static_cast<std::size_t>(max_len), longest);
  const auto totals =
      lm_loss_totals(m.model, make_batches(examples, order, /*pack=*/true, row, 8, 0));
  return {totals.sum, totals.count, static_cast<std::int64_t>(examples.size())};
}

ModelScores score_model(const std::string& dir, const std::vector<Conversation>& data,
                        const std::vector<Conversation>& general, const EvalArgs& a) {
  auto m = load_model_dir(dir);
  m.model->set_precision(parse_precision(a.precision));
  // A base model gets the chat tokens SFT would add.
  const auto tmpl = ensure_chat_tokens(m, a.chat_template);
  const Tokenizer& tok = *m.tokenizer.tokenizer;
  ModelScores s;
  // Positions past the model's context would be extrapolation, not evaluation.
  const auto max_len = std::min(a.max_seq_len, m.model->config().max_position_embeddings);
  const auto domain = loss_on(m, tmpl, data, max_len);
  s.loss_sum = domain.sum, s.tokens = domain.tokens, s.examples = domain.examples;
  if (!general.empty()) s.general = loss_on(m, tmpl, general, max_len);
  // Greedy answers, decoded `batch` at a time by the server's generation loop; an answer is
  // cut where the model's context ends.
  const auto context = m.model->config().max_position_embeddings;
  std::vector<AnswerRequest> requests;
  std::vector<std::size_t> asked;  // the conversation each request answers
  for (std::size_t i = 0; i < data.size() && static_cast<std::int64_t>(i) < a.max_examples; ++i) {
    const auto& turns = data[i].turns;
    if (turns.empty() || turns.back().role != "assistant") continue;
    AnswerRequest r;
    r.messages = prompt_messages(data[i]);
    r.sampling.temperature = 0;
    const auto prompt_len =
        static_cast<std::int64_t>(tmpl.render(tok, r.messages, true).ids.size());
    r.max_new_tokens = std::min(a.max_new_tokens, context - prompt_len);
    if (r.max_new_tokens <= 0) continue;
    requests.push_back(std::move(r));
    asked.push_back(i);
  }
  const auto generated =
      std::min<std::size_t>(data.size(), std::max<std::int64_t>(a.max_examples, 0));
  s.answers.assign(generated, "");
  if (!requests.empty()) {
    const AnsweringModel answering{m.model, &tok, tmpl, m.eos_ids(), dir};
    const auto answers =
        answer_requests(answering, requests, {a.batch, parse_precision(a.precision)});
    for (std::size_t k = 0; k < answers.size(); ++k) s.answers[asked[k]] = answers[k].text;
  }
  for (std::size_t i = 0; i < generated; ++i) {
    const auto& turns = data[i].turns;
    if (turns.empty() || turns.back().role != "assistant") continue;
    s.f1 += token_f1(s.answers[i], turns.back().content);
    s.rouge += rouge_l(s.answers[i], turns.back().content);
    ++s.generated;
  }
  return s;
}

}  // namespace

json run_eval(const EvalArgs& a) {
  ChatReadOptions ro;
  ro.format = a.format;
  ro.column_map = parse_column_map(a.map);
  auto data = read_chat_dataset(a.data, ro).conversations;
  std::vector<Conversation> general;
  if (!a.general.empty()) general = read_chat_dataset(a.general, ChatReadOptions{}).conversations;
  auto ours = score_model(a.model, data, general, a);
  ModelScores base;
  if (!a.baseline.empty()) base = score_model(a.baseline, data, general, a);
  if (!a.out.empty()) {
    write_file_atomic(a.out, [&](std::ostream& out) {
      for (std::size_t i = 0; i < ours.answers.size(); ++i) {
        const auto& turns = data[i].turns;
        json line = {{"line", data[i].line},
                     {"prompt", turns.size() > 1 ? turns[turns.size() - 2].content : ""},
                     {"reference", turns.empty() ? "" : turns.back().content},
                     {"answer", ours.answers[i]},
                     {"token_f1", token_f1(ours.answers[i], turns.back().content)},
                     {"rouge_l", rouge_l(ours.answers[i], turns.back().content)}};
        if (!a.baseline.empty()) line["baseline_answer"] = base.answers[i];
        out << line.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
      }
    });
  }
  json summary = ours.summary();
  json result = {
      {"loss", summary["loss"]}, {"perplexity", summary["perplexity"]}, {"model", summary}};
  if (!a.baseline.empty()) result["baseline"] = base.summary();
  if (!a.baseline.empty() && summary.contains("general_loss"))
    result["forgetting"] =
        summary["general_loss"].get<double>() - result["baseline"]["general_loss"].get<double>();
  return result;
}

}  // namespace chosei
