#include "eval/prompt_answers.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "datasets/preference_example.h"
#include "formats/model_dir.h"
#include "generate/generation_loop.h"
#include "tokenizer/chat_messages.h"

namespace chosei {

namespace {

// What the loop thread hands back: each job's text and summary, and how many are done.
struct Collected {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t finished = 0;
  std::vector<PromptAnswer> answers;
  std::vector<std::string> errors;
};

}  // namespace

AnswerRequest prompt_request(const PromptRecord& prompt, const SamplingOptions& sampling,
                             std::int64_t max_new_tokens) {
  AnswerRequest r;
  Conversation c;
  c.turns = prompt.turns;
  r.messages = conversation_messages(c);
  r.raw = prompt.text_prompt;
  r.sampling = sampling;
  r.max_new_tokens = max_new_tokens;
  return r;
}

std::vector<PromptAnswer> answer_requests(const std::string& model_dir,
                                          const std::vector<AnswerRequest>& requests,
                                          const AnswerBatchOptions& options) {
  auto loaded = load_model_dir(model_dir);
  loaded.model->set_precision(options.precision);
  AnsweringModel m{loaded.model, loaded.tokenizer.tokenizer.get(),
                   choose_chat_template(loaded.tokenizer.config), loaded.eos_ids(), model_dir};
  return answer_requests(m, requests, options);
}

std::vector<PromptAnswer> answer_requests(const AnsweringModel& m,
                                          const std::vector<AnswerRequest>& requests,
                                          const AnswerBatchOptions& options) {
  const Tokenizer& tok = *m.tokenizer;
  const auto& tmpl = m.tmpl;
  const auto stops = stop_token_ids(m.eos_ids, tmpl, tok);
  const std::int64_t context = m.model->config().max_position_embeddings;

  auto collected = std::make_shared<Collected>();
  collected->answers.resize(requests.size());
  collected->errors.resize(requests.size());
  // Every prompt is checked before any is decoded: a bad one fails fast, not after the rest.
  std::vector<std::shared_ptr<GenerationJob>> jobs;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    auto job = std::make_shared<GenerationJob>();
    if (r.raw) {
      // The prompt exactly as a raw prompt + answer sequence starts (datasets/preference_example).
      auto ids = tokenize_prompt_answer(true, {{"user", r.messages.back().content, std::nullopt}},
                                        {}, tok, tmpl, "prompt " + std::to_string(i + 1));
      job->prompt.assign(ids.ids.begin(),
                         ids.ids.begin() + static_cast<std::ptrdiff_t>(ids.prompt_tokens));
    } else {
      job->prompt = tmpl.render(tok, r.messages, /*add_generation_prompt=*/true).ids;
    }
    const auto room = context - static_cast<std::int64_t>(job->prompt.size());
    if (room <= 0)
      throw std::runtime_error(
          "prompt " + std::to_string(i + 1) + " has " + std::to_string(job->prompt.size()) +
          " tokens: no room to answer in " + m.name + "'s context of " + std::to_string(context));
    job->max_tokens = std::min(r.max_new_tokens, room);
    job->sampling = r.sampling;
    job->eos_ids = r.raw ? m.eos_ids : stops;
    collected->answers[i].prompt_ids = job->prompt;
    job->on_text = [collected, i](const std::string& piece) {
      collected->answers[i].text += piece;  // this job's slot only, read after all are done
      return true;
    };
    job->on_done = [collected, i](const GenerationSummary& s) {
      std::lock_guard<std::mutex> lock(collected->mutex);
      auto& a = collected->answers[i];
      a.finish_reason = s.finish_reason;
      a.prompt_tokens = s.prompt_tokens;
      a.completion_tokens = s.completion_tokens;
      a.completion_ids = s.tokens;
      if (s.finish_reason == "error" || s.finish_reason == "cancelled")
        collected->errors[i] = s.error.empty() ? s.finish_reason : s.error;
      ++collected->finished;
      collected->done.notify_all();
    };
    jobs.push_back(std::move(job));
  }
  GenerationLoop loop(m.model, std::shared_ptr<const Tokenizer>(&tok, [](const Tokenizer*) {}),
                      options.max_batch, requests.size() + 1, context);
  for (auto& job : jobs)
    if (!loop.submit(job)) throw std::runtime_error("the generation loop refused a request");
  {
    std::unique_lock<std::mutex> lock(collected->mutex);
    collected->done.wait(lock, [&] { return collected->finished == requests.size(); });
  }
  loop.shutdown();
  for (std::size_t i = 0; i < requests.size(); ++i)
    if (!collected->errors[i].empty())
      throw std::runtime_error(m.name + ": answering prompt " + std::to_string(i + 1) +
                               " failed: " + collected->errors[i]);
  return collected->answers;
}

}  // namespace chosei
