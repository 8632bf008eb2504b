#include "chat/completions_route.h"

#include <limits>

#include "chat/api_error.h"
#include "chat/choice_jobs.h"
#include "chat/completion_request.h"
#include "chat/openai_format.h"

namespace chosei {

using json = nlohmann::json;

struct CompletionsRoute::Prompt {
  std::string text;  // for echo and the filters
  std::vector<TokenId> ids;
  bool refused = false;  // blocked by an input filter
};

CompletionsRoute::CompletionsRoute(ModelRegistry& models, const FilterEngine* filters,
                                   ServerMetrics& metrics, std::int64_t max_tokens,
                                   std::atomic<int>& open_streams, RequestLimits limits)
    : models_(models),
      filters_(filters),
      metrics_(metrics),
      max_tokens_(max_tokens),
      open_streams_(open_streams),
      limits_(limits) {}

void CompletionsRoute::handle(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res) {
  const double started = monotonic_seconds();
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) throw invalid_request("the request body is not valid JSON");
  auto r = parse_completion_request(body, limits_);
  std::shared_ptr<const ServedModel> sm = models_.find(r.model);
  if (!sm || !caller.sees(sm->owner))
    throw ApiError(404, "The model `" + r.model + "` does not exist", "invalid_request_error",
                   "model", "model_not_found");
  const auto& tok = sm->tokenizer();
  std::vector<Prompt> prompts;
  for (const auto& p : r.prompts) {
    Prompt q;
    if (const auto* text = std::get_if<std::string>(&p)) {
      q.text = *text;
      if (filters_) {
        auto result = filters_->check(q.text, FilterDirection::kInput);
        for (const auto& match : result.matches)
          metrics_.filter_decision("input", match.rule, to_string(result.decision));
        q.refused = result.decision == FilterDecision::kBlock;
        if (result.decision == FilterDecision::kRedact) q.text = result.redacted;
      }
      q.ids = tok.encode(q.text, /*add_special=*/true);
    } else {
      q.ids = std::get<std::vector<TokenId>>(p);
      for (auto id : q.ids)
        if (id < 0 || id >= tok.vocab_size())
          throw invalid_request("prompt holds the token id " + std::to_string(id) +
                                    ", outside this model's vocabulary of " +
                                    std::to_string(tok.vocab_size()),
                                "prompt", "invalid_value");
      q.text = tok.decode(q.ids, /*skip_special=*/true);
    }
    if (q.ids.empty()) throw invalid_request("the prompt encodes to no tokens", "prompt");
    if (static_cast<std::int64_t>(q.ids.size()) >= sm->loop->context())
      throw invalid_request("the prompt takes " + std::to_string(q.ids.size()) +
                                " tokens; this model's context is " +
                                std::to_string(sm->loop->context()),
                            "prompt", "context_length_exceeded");
    prompts.push_back(std::move(q));
  }
  auto ch = std::make_shared<GenerationChannel>(prompts.size() * static_cast<std::size_t>(r.n));
  const auto max_tokens = std::min(r.max_tokens.value_or(16), max_tokens_);  // OpenAI's default
  for (std::size_t p = 0; p < prompts.size(); ++p) {
    const std::size_t first = p * static_cast<std::size_t>(r.n);
    if (prompts[p].refused) {
      for (std::int64_t i = 0; i < r.n; ++i)
        answer_refused(ch->choices[first + static_cast<std::size_t>(i)],
                       static_cast<std::int64_t>(prompts[p].ids.size()));
      continue;
    }
    for (std::int64_t i = 0; filters_ && i < r.n; ++i)
      ch->choices[first + static_cast<std::size_t>(i)].filter =
          std::make_shared<StreamFilter>(*filters_, FilterDirection::kOutput, prompts[p].text);
    ChoiceJobs jobs;
    jobs.prompt = prompts[p].ids;
    jobs.max_tokens = max_tokens;
    jobs.top_logprobs = r.logprobs;
    if (r.echo && r.logprobs >= 0) jobs.prompt_logprobs = r.logprobs;
    jobs.first_index = first;
    submit_choices(*sm, r, jobs, ch);
  }
  if (r.stream) return respond_stream(sm, r, prompts, ch, res, started);
  respond_json(sm, r, prompts, ch, res, started);
}

void CompletionsRoute::respond_json(std::shared_ptr<const ServedModel> sm,
                                    const CompletionRequest& r, const std::vector<Prompt>& prompts,
                                    std::shared_ptr<GenerationChannel> ch, HttpResponse& res,
                                    double started) {
  auto whole = drain_all(*ch, metrics_);
  json choices = json::array();
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
  for (std::size_t k = 0; k < whole.size(); ++k) {
    const auto& w = whole[k];
    if (w.summary.finish_reason == "error") throw ApiError(500, w.summary.error, "server_error");
    const auto& prompt = prompts[k / static_cast<std::size_t>(r.n)];
    const std::string head = r.echo ? prompt.text : "";
    json logprobs = nullptr;
    if (r.logprobs >= 0 && !w.logprobs_withheld) {
      std::vector<TokenLogprob> all;
      if (r.echo) {  // the prompt's tokens first; the first has nothing before it (null)
        TokenLogprob first;
        first.id = prompt.ids[0];
        first.logprob = std::numeric_limits<float>::quiet_NaN();
        all.push_back(first);
        all.insert(all.end(), w.prompt_logprobs.begin(), w.prompt_logprobs.end());
      }
      all.insert(all.end(), w.logprobs.begin(), w.logprobs.end());
      // Offsets index the answer's text: the echoed prompt may lack bytes its tokens carry.
      std::int64_t start = 0;
      if (r.echo) {
        std::int64_t prompt_bytes = 0;
        for (auto id : prompt.ids)
          if (sm->token_bytes().usable(id))
            prompt_bytes += static_cast<std::int64_t>(sm->token_bytes().of(id).size());
        start = std::min<std::int64_t>(0, static_cast<std::int64_t>(head.size()) - prompt_bytes);
      }
      logprobs = completion_logprobs_json(all, sm->token_bytes(), sm->tokenizer(), start);
    }
    const std::string finish = reported_finish_reason(w.summary, w.blocked);
    choices.push_back(completion_choice_json(k, head + w.text, finish, logprobs));
    if (k % static_cast<std::size_t>(r.n) == 0)
      prompt_tokens += static_cast<std::int64_t>(prompt.ids.size());
    completion_tokens += w.summary.completion_tokens;
  }
  metrics_.tokens(prompt_tokens, completion_tokens);
  metrics_.latency(monotonic_seconds() - started);
  res.body = text_completion_json(completion_id("cmpl-"), unix_now(), sm->name, choices,
                                  usage_json(prompt_tokens, completion_tokens))
                 .dump(-1, ' ', false, json::error_handler_t::replace);
}

void CompletionsRoute::respond_stream(std::shared_ptr<const ServedModel> sm,
                                      const CompletionRequest& r,
                                      const std::vector<Prompt>& prompts,
                                      std::shared_ptr<GenerationChannel> ch, HttpResponse& res,
                                      double started) {
  const std::string id = completion_id("cmpl-"), model = sm->name;
  const auto created = unix_now();
  const auto n = static_cast<std::size_t>(r.n);
  const bool include_usage = r.include_usage, echo = r.echo, logprobs = r.logprobs >= 0;
  std::int64_t prompt_tokens = 0;
  std::vector<std::string> echoes;
  for (const auto& p : prompts) {
    prompt_tokens += static_cast<std::int64_t>(p.ids.size());
    for (std::size_t i = 0; i < n; ++i) echoes.push_back(echo ? p.text : "");
  }
  auto state = std::make_shared<std::pair<std::size_t, std::int64_t>>(ch->choices.size(), 0);
  auto offsets = std::make_shared<std::vector<std::int64_t>>(ch->choices.size(), 0);
  auto begun = std::make_shared<bool>(false);
  res.content_type = "text/event-stream";
  res.headers.emplace_back("Cache-Control", "no-cache");
  ++open_streams_;
  ServerMetrics& metrics = metrics_;
  res.stream = [=, &metrics](StreamSink& sink) {
    auto write = [&](std::size_t index, const std::string& text, const json& finish,
                     const std::vector<TokenLogprob>& lps) {
      json lp = nullptr;
      if (logprobs && !lps.empty()) {
        lp = completion_logprobs_json(lps, sm->token_bytes(), sm->tokenizer(), (*offsets)[index]);
        for (auto t : lps)
          (*offsets)[index] += sm->token_bytes().usable(t.id)
                                   ? static_cast<std::int64_t>(sm->token_bytes().of(t.id).size())
                                   : 0;
      }
      const json chunk = text_completion_json(
          id, created, model, json::array({completion_choice_json(index, text, finish, lp)}),
          nullptr);
      if (sink.write(sse_event(chunk))) return true;
      ch->cancel();
      return false;
    };
    if (!*begun) {
      *begun = true;
      for (std::size_t k = 0; k < echoes.size(); ++k) {
        (*offsets)[k] = static_cast<std::int64_t>(echoes[k].size());
        if (!echoes[k].empty() && !write(k, echoes[k], nullptr, {})) return false;
      }
    }
    for (const auto& d : drain(*ch, metrics)) {
      std::string text;
      for (const auto& p : d.pieces) text += p;
      if (!d.done) {
        if ((!text.empty() || !d.logprobs.empty()) && !write(d.index, text, nullptr, d.logprobs))
          return false;
        continue;
      }
      if (!write(d.index, text, reported_finish_reason(d.summary, d.blocked), d.logprobs))
        return false;
      state->second += d.summary.completion_tokens;
      --state->first;
    }
    if (state->first > 0) return true;
    if (include_usage &&
        !sink.write(sse_event(text_completion_json(id, created, model, json::array(),
                                                   usage_json(prompt_tokens, state->second)))))
      return false;
    if (!sink.write("data: [DONE]\n\n")) return false;
    metrics.tokens(prompt_tokens, state->second);
    metrics.latency(monotonic_seconds() - started);
    sink.done();
    return true;
  };
  std::atomic<int>& open = open_streams_;
  res.stream_finished = [ch, &open](bool success) {
    --open;
    if (!success) ch->cancel();
  };
}

}  // namespace chosei
