#include "chat/chat_server.h"

// Debian's libcpp-httplib is built with these (its pkg-config Cflags); the header must see
// them too or Request and Response have another layout than the library's.
#define CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <random>

#include "chat/api_error.h"
#include "chat/chat_request.h"
#include "chat/generation_loop.h"
#include "chat/server_metrics.h"
#include "chat/web_page.h"
#include "filters/stream_filter.h"
#include "model/model_dir.h"

namespace chosei {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct ServedModel {
  std::string name;
  LoadedModel loaded;
  std::unique_ptr<ChatTemplate> chat_template;
  std::vector<TokenId> eos_ids;
  std::unique_ptr<GenerationLoop> loop;
};

// Text and events a generation job hands from the loop thread to the HTTP thread.
struct Channel {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::string> pieces;
  bool done = false, client_gone = false, blocked = false;
  GenerationSummary summary;
};

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string completion_id() {
  static std::mt19937_64 rng(std::random_device{}());
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  char buf[32];
  std::snprintf(buf, sizeof buf, "chatcmpl-%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

json usage_json(std::int64_t prompt, std::int64_t completion) {
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion}};
}

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(e.body().dump(), "application/json");
}

}  // namespace

struct ChatServer::Impl {
  ChatServerOptions options;
  std::map<std::string, std::unique_ptr<ServedModel>> models;
  std::unique_ptr<FilterEngine> filters;
  ServerMetrics metrics;
  httplib::Server http;
  std::atomic<bool> draining{false};
  std::atomic<int> in_flight{0};

  void load() {
    for (const auto& [name, dir] : options.models) {
      auto sm = std::make_unique<ServedModel>();
      sm->name = name;
      sm->loaded = load_model_dir(dir);
      sm->loaded.model->set_precision(options.precision);
      sm->chat_template = std::make_unique<ChatTemplate>(
          ChatTemplate::detect(sm->loaded.tokenizer.config.chat_template));
      sm->eos_ids = sm->loaded.eos_ids();
      for (TokenId id : sm->chat_template->end_of_turn_ids(*sm->loaded.tokenizer.tokenizer))
        sm->eos_ids.push_back(id);
      const Tokenizer* tok = sm->loaded.tokenizer.tokenizer.get();
      sm->loop = std::make_unique<GenerationLoop>(
          sm->loaded.model, std::shared_ptr<const Tokenizer>(tok, [](const Tokenizer*) {}),
          options.max_batch, options.max_queue, sm->loaded.model->config().max_position_embeddings);
      models[name] = std::move(sm);
    }
    if (options.filters) filters = std::make_unique<FilterEngine>(load_rule_packs(options.packs));
  }

  void authorize(const httplib::Request& req) const {
    if (options.api_keys.empty()) return;
    const auto header = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (header.compare(0, prefix.size(), prefix) != 0 ||
        !options.api_keys.count(header.substr(prefix.size())))
      throw ApiError(401, "Incorrect API key provided", "invalid_request_error", "",
                     "invalid_api_key");
  }

  // Runs the input filters over user messages; returns the refusal text when one blocks.
  std::string screen_input(ChatRequest& r) {
    if (!filters) return "";
    for (auto& m : r.messages) {
      if (m.role != "user") continue;
      auto result = filters->check(m.content, FilterDirection::kInput);
      for (const auto& match : result.matches)
        metrics.filter_decision("input", match.rule, to_string(result.decision));
      if (result.decision == FilterDecision::kBlock) return "I can't help with that request.";
      if (result.decision == FilterDecision::kRedact) m.content = result.redacted;
    }
    return "";
  }

  void handle_models(httplib::Response& res) {
    json data = json::array();
    for (const auto& [name, sm] : models)
      data.push_back(
          {{"id", name}, {"object", "model"}, {"created", unix_now()}, {"owned_by", "chosei"}});
    res.set_content(json{{"object", "list"}, {"data", data}}.dump(), "application/json");
  }

  void handle_chat(const httplib::Request& req, httplib::Response& res);
  std::shared_ptr<GenerationJob> make_job(ServedModel& sm, const ChatRequest& r,
                                          std::shared_ptr<Channel> ch);
  void respond_json(ServedModel& sm, std::shared_ptr<Channel> ch, httplib::Response& res,
                    Clock::time_point t0);
  void respond_stream(ServedModel& sm, const ChatRequest& r, std::shared_ptr<Channel> ch,
                      httplib::Response& res, Clock::time_point t0);
};

std::shared_ptr<GenerationJob> ChatServer::Impl::make_job(ServedModel& sm, const ChatRequest& r,
                                                          std::shared_ptr<Channel> ch) {
  auto job = std::make_shared<GenerationJob>();
  job->prompt = sm.chat_template->render(*sm.loaded.tokenizer.tokenizer, r.messages, true).ids;
  job->max_tokens = std::min(r.max_tokens.value_or(options.max_tokens), options.max_tokens);
  job->sampling.temperature = r.temperature;
  job->sampling.top_p = r.top_p > 0 ? r.top_p : 1.0;
  job->sampling.presence_penalty = r.presence_penalty;
  job->sampling.frequency_penalty = r.frequency_penalty;
  job->sampling.seed = r.seed.value_or(std::random_device{}());
  job->stop = r.stop;
  job->eos_ids = sm.eos_ids;
  auto out_filter =
      filters ? std::make_shared<StreamFilter>(*filters, FilterDirection::kOutput) : nullptr;
  auto deliver = [this, ch, out_filter](const std::string& text, bool last) {
    std::string released = text;
    if (out_filter) {
      released = out_filter->push(text);
      if (last) released += out_filter->finish();
    }
    std::lock_guard<std::mutex> lock(ch->mutex);
    if (!released.empty()) ch->pieces.push_back(released);
    if (out_filter && out_filter->blocked() && !ch->blocked) {
      ch->blocked = true;
      metrics.filter_decision("output", "stream", "block");
    }
    ch->ready.notify_all();
    return !ch->client_gone && !ch->blocked;
  };
  job->on_text = [deliver](const std::string& piece) { return deliver(piece, false); };
  job->on_done = [ch, deliver](const GenerationSummary& s) {
    deliver("", true);
    std::lock_guard<std::mutex> lock(ch->mutex);
    ch->summary = s;
    ch->done = true;
    ch->ready.notify_all();
  };
  return job;
}

void ChatServer::Impl::handle_chat(const httplib::Request& req, httplib::Response& res) {
  const auto t0 = Clock::now();
  if (draining) throw ApiError(503, "the server is shutting down", "server_error");
  authorize(req);
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) throw invalid_request("the request body is not valid JSON");
  auto r = parse_chat_request(body);
  auto it = models.find(r.model);
  if (it == models.end())
    throw ApiError(404, "The model `" + r.model + "` does not exist", "invalid_request_error",
                   "model", "model_not_found");
  ServedModel& sm = *it->second;
  auto ch = std::make_shared<Channel>();
  const std::string refusal = screen_input(r);
  if (!refusal.empty()) {  // answered without the model, as a content_filter finish
    ch->pieces.push_back(refusal);
    ch->done = true;
    ch->summary.finish_reason = "content_filter";
    ch->summary.prompt_tokens = static_cast<std::int64_t>(
        sm.chat_template->render(*sm.loaded.tokenizer.tokenizer, r.messages, true).ids.size());
    return r.stream ? respond_stream(sm, r, ch, res, t0) : respond_json(sm, ch, res, t0);
  }
  auto job = make_job(sm, r, ch);
  const auto prompt_tokens = static_cast<std::int64_t>(job->prompt.size());
  if (prompt_tokens >= sm.loop->context())
    throw invalid_request("the messages take " + std::to_string(prompt_tokens) +
                              " tokens; this model's context is " +
                              std::to_string(sm.loop->context()),
                          "messages", "context_length_exceeded");
  if (!sm.loop->submit(job))
    throw ApiError(429, "too many requests are waiting; retry shortly", "rate_limit_error");
  if (r.stream) return respond_stream(sm, r, ch, res, t0);
  respond_json(sm, ch, res, t0);
}

void ChatServer::Impl::respond_json(ServedModel& sm, std::shared_ptr<Channel> ch,
                                    httplib::Response& res, Clock::time_point t0) {
  std::unique_lock<std::mutex> lock(ch->mutex);
  ch->ready.wait(lock, [&] { return ch->done; });
  std::string text;
  for (const auto& p : ch->pieces) text += p;
  auto s = ch->summary;
  if (ch->blocked) s.finish_reason = "content_filter";
  if (s.finish_reason == "error") throw ApiError(500, s.error, "server_error");
  json out = {{"id", completion_id()},
              {"object", "chat.completion"},
              {"created", unix_now()},
              {"model", sm.name},
              {"choices", json::array({{{"index", 0},
                                        {"message", {{"role", "assistant"}, {"content", text}}},
                                        {"logprobs", nullptr},
                                        {"finish_reason", s.finish_reason}}})},
              {"usage", usage_json(s.prompt_tokens, s.completion_tokens)}};
  metrics.tokens(s.prompt_tokens, s.completion_tokens);
  metrics.latency(std::chrono::duration<double>(Clock::now() - t0).count());
  res.set_content(out.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void ChatServer::Impl::respond_stream(ServedModel& sm, const ChatRequest& r,
                                      std::shared_ptr<Channel> ch, httplib::Response& res,
                                      Clock::time_point t0) {
  const std::string id = completion_id(), model = sm.name;
  const auto created = unix_now();
  const bool include_usage = r.include_usage;
  auto chunk = [=](const json& delta, const json& finish) {
    json c = {{"id", id},
              {"object", "chat.completion.chunk"},
              {"created", created},
              {"model", model},
              {"choices", json::array({{{"index", 0},
                                        {"delta", delta},
                                        {"logprobs", nullptr},
                                        {"finish_reason", finish}}})}};
    return "data: " + c.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
  };
  auto started = std::make_shared<bool>(false);
  res.set_header("Cache-Control", "no-cache");
  ++in_flight;  // a stream outlives its handler: draining waits for it too
  res.set_chunked_content_provider(
      "text/event-stream",
      [=](std::size_t, httplib::DataSink& sink) {
        auto write = [&](const std::string& s) {
          if (sink.write(s.data(), s.size())) return true;
          std::lock_guard<std::mutex> lock(ch->mutex);
          ch->client_gone = true;  // the loop cancels the job at its next piece
          return false;
        };
        if (!*started) {
          *started = true;
          if (!write(chunk({{"role", "assistant"}, {"content", ""}}, nullptr))) return false;
        }
        std::deque<std::string> pieces;
        bool done;
        GenerationSummary s;
        bool blocked;
        {
          std::unique_lock<std::mutex> lock(ch->mutex);
          ch->ready.wait(lock, [&] { return ch->done || !ch->pieces.empty(); });
          pieces.swap(ch->pieces);
          done = ch->done;
          s = ch->summary;
          blocked = ch->blocked;
        }
        for (const auto& p : pieces)
          if (!write(chunk({{"content", p}}, nullptr))) return false;
        if (!done) return true;
        std::string finish = blocked ? "content_filter" : s.finish_reason;
        if (finish == "cancelled" || finish == "error") finish = "stop";
        if (!write(chunk(json::object(), finish))) return false;
        if (include_usage) {
          json u = {{"id", id},
                    {"object", "chat.completion.chunk"},
                    {"created", created},
                    {"model", model},
                    {"choices", json::array()},
                    {"usage", usage_json(s.prompt_tokens, s.completion_tokens)}};
          if (!write("data: " + u.dump() + "\n\n")) return false;
        }
        write("data: [DONE]\n\n");
        metrics.tokens(s.prompt_tokens, s.completion_tokens);
        metrics.latency(std::chrono::duration<double>(Clock::now() - t0).count());
        sink.done();
        return true;
      },
      [this, ch](bool success) {
        --in_flight;  // the stream is over (sent or abandoned)
        if (success) return;
        std::lock_guard<std::mutex> lock(ch->mutex);
        ch->client_gone = true;
      });
}

ChatServer::ChatServer(ChatServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->load();
}

ChatServer::~ChatServer() {
  for (auto& [name, sm] : impl_->models) sm->loop->shutdown();
}

void ChatServer::run(const std::function<void(int)>& on_listening) {
  Impl& s = *impl_;
  s.http.set_payload_max_length(s.options.max_body_bytes);
  // A request holds its HTTP thread while it waits and streams (the threads mostly sleep):
  // enough of them that every queued and decoding request has one, and 429 comes from the
  // queue rather than from connections waiting to be accepted.
  const auto threads =
      s.options.max_queue + static_cast<std::size_t>(s.options.max_batch) * s.models.size() + 8;
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  auto guarded = [&s](auto handler) {
    return [&s, handler](const httplib::Request& req, httplib::Response& res) {
      ++s.in_flight;
      try {
        handler(req, res);
      } catch (const ApiError& e) {
        send_error(res, e);
      } catch (const std::exception& e) {
        send_error(res, ApiError(500, e.what(), "server_error"));
      }
      s.metrics.request(res.status < 0 ? 200 : res.status);  // httplib fills 200 in later
      --s.in_flight;
    };
  };
  s.http.Post("/v1/chat/completions", guarded([&s](const httplib::Request& q,
                                                   httplib::Response& r) { s.handle_chat(q, r); }));
  s.http.Get("/v1/models", guarded([&s](const httplib::Request& q, httplib::Response& r) {
               s.authorize(q);
               s.handle_models(r);
             }));
  s.http.Get("/", [](const httplib::Request&, httplib::Response& r) {
    r.set_content(chat_page_html(), "text/html; charset=utf-8");
  });
  s.http.Get("/health", [&s](const httplib::Request&, httplib::Response& r) {
    r.set_content(json{{"status", s.draining ? "draining" : "ok"}}.dump(), "application/json");
  });
  s.http.Get("/metrics", [&s](const httplib::Request&, httplib::Response& r) {
    std::map<std::string, double> gauges;
    for (const auto& [name, sm] : s.models) {
      const auto st = sm->loop->stats();
      gauges["chosei_queue_depth{model=\"" + name + "\"}"] = double(st.queued);
      gauges["chosei_active_requests{model=\"" + name + "\"}"] = double(st.active);
      gauges["chosei_decode_steps_total{model=\"" + name + "\"}"] = double(st.steps);
      gauges["chosei_batched_rows_total{model=\"" + name + "\"}"] = double(st.batched_rows);
    }
    r.set_content(s.metrics.render(gauges), "text/plain; version=0.0.4");
  });
  s.http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413)
      send_error(res, ApiError(413, "the request body is too large", "invalid_request_error"));
    else if (res.status == 404)
      send_error(res, ApiError(404, "no such endpoint", "invalid_request_error"));
  });
  const int port =
      s.options.port == 0
          ? s.http.bind_to_any_port(s.options.host)
          : (s.http.bind_to_port(s.options.host, s.options.port) ? s.options.port : -1);
  if (port < 0)
    throw std::runtime_error("cannot listen on " + s.options.host + ":" +
                             std::to_string(s.options.port));
  if (on_listening) on_listening(port);
  s.http.listen_after_bind();
}

void ChatServer::stop() {
  Impl& s = *impl_;
  s.draining = true;
  while (s.in_flight > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  s.http.stop();
}

}  // namespace chosei
