#include "chat/chat_completions_route.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>

#include "chat/api_error.h"
#include "chat/chat_request.h"
#include "chat/openai_format.h"
#include "filters/stream_filter.h"

namespace chosei {

using json = nlohmann::json;

// Text and events a generation job hands from the loop thread to the HTTP thread. The loop
// only appends raw pieces; the output filter runs on the HTTP thread (drain), because a
// classifier rule costs milliseconds and every stream batched on the loop would wait for it.
struct Channel {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::string> pieces;
  bool done = false, client_gone = false, blocked = false;
  GenerationSummary summary;
  std::shared_ptr<StreamFilter> filter;  // null: no output filter (or an input refusal)
};

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// What the HTTP thread may send now, after the output filter.
struct Drained {
  std::vector<std::string> pieces;
  bool done = false, blocked = false;
  GenerationSummary summary;
};

// Waits for pieces (or the end), takes them and passes them through the output filter. A block
// is flagged on the channel, and the loop stops the job at its next piece.
Drained drain(Channel& ch, ServerMetrics& metrics) {
  Drained d;
  std::deque<std::string> raw;
  {
    std::unique_lock<std::mutex> lock(ch.mutex);
    ch.ready.wait(lock, [&] { return ch.done || !ch.pieces.empty(); });
    raw.swap(ch.pieces);
    d.done = ch.done;
    d.summary = ch.summary;
    d.blocked = ch.blocked;
  }
  for (auto& piece : raw) {
    std::string released = ch.filter ? ch.filter->push(piece) : std::move(piece);
    if (!released.empty()) d.pieces.push_back(std::move(released));
  }
  if (!ch.filter) return d;
  if (d.done) {
    std::string rest = ch.filter->finish();
    if (!rest.empty()) d.pieces.push_back(std::move(rest));
  }
  if (ch.filter->blocked() && !d.blocked) {
    d.blocked = true;
    std::lock_guard<std::mutex> lock(ch.mutex);
    if (!ch.blocked) metrics.filter_decision("output", "stream", "block");
    ch.blocked = true;
  }
  return d;
}

}  // namespace

ChatCompletionsRoute::ChatCompletionsRoute(ModelRegistry& models, const FilterEngine* filters,
                                           ServerMetrics& metrics, std::int64_t max_tokens,
                                           std::atomic<int>& open_streams)
    : models_(models),
      filters_(filters),
      metrics_(metrics),
      max_tokens_(max_tokens),
      open_streams_(open_streams) {}

std::string ChatCompletionsRoute::screen_input(ChatRequest& r) {
  if (!filters_) return "";
  for (auto& m : r.messages) {
    if (m.role != "user") continue;
    auto result = filters_->check(m.content, FilterDirection::kInput);
    for (const auto& match : result.matches)
      metrics_.filter_decision("input", match.rule, to_string(result.decision));
    if (result.decision == FilterDecision::kBlock) return "I can't help with that request.";
    if (result.decision == FilterDecision::kRedact) m.content = result.redacted;
  }
  return "";
}

std::shared_ptr<GenerationJob> ChatCompletionsRoute::make_job(const ServedModel& sm,
                                                              const ChatRequest& r,
                                                              std::shared_ptr<Channel> ch) {
  auto job = std::make_shared<GenerationJob>();
  job->prompt = sm.render(r.messages);
  job->max_tokens = std::min(r.max_tokens.value_or(max_tokens_), max_tokens_);
  job->sampling.temperature = r.temperature;
  job->sampling.top_p = r.top_p > 0 ? r.top_p : 1.0;
  job->sampling.presence_penalty = r.presence_penalty;
  job->sampling.frequency_penalty = r.frequency_penalty;
  job->sampling.seed = r.seed.value_or(std::random_device{}());
  job->stop = r.stop;
  job->eos_ids = sm.stop_ids;
  if (filters_) {
    std::string prompt;  // classifier rules judge the answer after the message it answers
    for (const auto& m : r.messages)
      if (m.role == "user") prompt = m.content;
    ch->filter = std::make_shared<StreamFilter>(*filters_, FilterDirection::kOutput, prompt);
  }
  job->on_text = [ch](const std::string& piece) {
    std::lock_guard<std::mutex> lock(ch->mutex);
    ch->pieces.push_back(piece);
    ch->ready.notify_all();
    return !ch->client_gone && !ch->blocked;
  };
  job->on_done = [ch](const GenerationSummary& s) {
    std::lock_guard<std::mutex> lock(ch->mutex);
    ch->summary = s;
    ch->done = true;
    ch->ready.notify_all();
  };
  return job;
}

void ChatCompletionsRoute::handle(const ApiCaller& caller, const HttpRequest& req,
                                  HttpResponse& res) {
  const double started = now_s();
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) throw invalid_request("the request body is not valid JSON");
  auto r = parse_chat_request(body);
  auto sm = models_.find(r.model);
  if (!sm || !caller.sees(sm->owner))
    throw ApiError(404, "The model `" + r.model + "` does not exist", "invalid_request_error",
                   "model", "model_not_found");
  auto ch = std::make_shared<Channel>();
  const std::string refusal = screen_input(r);
  if (!refusal.empty()) {  // answered without the model, as a content_filter finish
    ch->pieces.push_back(refusal);
    ch->done = true;
    ch->summary.finish_reason = "content_filter";
    ch->summary.prompt_tokens = static_cast<std::int64_t>(sm->render(r.messages).size());
    return r.stream ? respond_stream(*sm, r, ch, res, started)
                    : respond_json(*sm, ch, res, started);
  }
  auto job = make_job(*sm, r, ch);
  const auto prompt_tokens = static_cast<std::int64_t>(job->prompt.size());
  if (prompt_tokens >= sm->loop->context())
    throw invalid_request("the messages take " + std::to_string(prompt_tokens) +
                              " tokens; this model's context is " +
                              std::to_string(sm->loop->context()),
                          "messages", "context_length_exceeded");
  if (!sm->loop->submit(job))
    throw ApiError(429, "too many requests are waiting; retry shortly", "rate_limit_error");
  if (r.stream) return respond_stream(*sm, r, ch, res, started);
  respond_json(*sm, ch, res, started);
}

void ChatCompletionsRoute::respond_json(const ServedModel& sm, std::shared_ptr<Channel> ch,
                                        HttpResponse& res, double started) {
  std::string text;
  Drained d;
  while (!d.done) {
    d = drain(*ch, metrics_);
    for (const auto& p : d.pieces) text += p;
  }
  auto s = d.summary;
  if (d.blocked) s.finish_reason = "content_filter";
  if (s.finish_reason == "error") throw ApiError(500, s.error, "server_error");
  auto out = chat_completion_json(completion_id(), sm.name, text, s.finish_reason, s.prompt_tokens,
                                  s.completion_tokens);
  metrics_.tokens(s.prompt_tokens, s.completion_tokens);
  metrics_.latency(now_s() - started);
  res.body = out.dump(-1, ' ', false, json::error_handler_t::replace);
}

void ChatCompletionsRoute::respond_stream(const ServedModel& sm, const ChatRequest& r,
                                          std::shared_ptr<Channel> ch, HttpResponse& res,
                                          double started) {
  const std::string id = completion_id(), model = sm.name;
  const auto created = unix_now();
  const bool include_usage = r.include_usage;
  auto chunk = [=](const json& delta, const json& finish) {
    return sse_event(chat_chunk_json(id, created, model, delta, finish));
  };
  auto begun = std::make_shared<bool>(false);
  res.content_type = "text/event-stream";
  res.headers.emplace_back("Cache-Control", "no-cache");
  ++open_streams_;  // a stream outlives its handler: draining waits for it too
  ServerMetrics& metrics = metrics_;
  res.stream = [=, &metrics](StreamSink& sink) {
    auto write = [&](const std::string& s) {
      if (sink.write(s)) return true;
      std::lock_guard<std::mutex> lock(ch->mutex);
      ch->client_gone = true;  // the loop cancels the job at its next piece
      return false;
    };
    if (!*begun) {
      *begun = true;
      if (!write(chunk({{"role", "assistant"}, {"content", ""}}, nullptr))) return false;
    }
    Drained d = drain(*ch, metrics);
    const GenerationSummary& s = d.summary;
    for (const auto& p : d.pieces)
      if (!write(chunk({{"content", p}}, nullptr))) return false;
    if (!d.done) return true;
    std::string finish = d.blocked ? "content_filter" : s.finish_reason;
    if (finish == "cancelled" || finish == "error") finish = "stop";
    if (!write(chunk(json::object(), finish))) return false;
    if (include_usage && !write(sse_event(usage_chunk_json(id, created, model, s.prompt_tokens,
                                                           s.completion_tokens))))
      return false;
    write("data: [DONE]\n\n");
    metrics.tokens(s.prompt_tokens, s.completion_tokens);
    metrics.latency(now_s() - started);
    sink.done();
    return true;
  };
  std::atomic<int>& open = open_streams_;
  res.stream_finished = [ch, &open](bool success) {
    --open;  // the stream is over (sent or abandoned)
    if (success) return;
    std::lock_guard<std::mutex> lock(ch->mutex);
    ch->client_gone = true;
  };
}

}  // namespace chosei
