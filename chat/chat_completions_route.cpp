#include "chat/chat_completions_route.h"

#include "chat/api_error.h"
#include "chat/chat_request.h"
#include "chat/choice_jobs.h"
#include "chat/openai_format.h"
#include "chat/tool_call_reply.h"
#include "generate/grammar_constraint.h"
#include "generate/json_grammar.h"
#include "generate/triggered_constraint.h"

namespace chosei {

using json = nlohmann::json;

namespace {

// The grammar response_format asks for; null for free text. A schema feature the compiler
// does not implement is a 400 that names it.
std::shared_ptr<const Grammar> response_grammar(const ResponseFormat& f) {
  if (f.type == "json_object") return json_object_grammar();
  if (f.type != "json_schema") return nullptr;
  try {
    return json_schema_grammar(f.schema);
  } catch (const JsonSchemaError& e) {
    throw invalid_request(std::string("response_format.json_schema.schema: ") + e.what(),
                          "response_format.json_schema.schema", "unsupported_schema");
  } catch (const std::invalid_argument& e) {
    throw invalid_request(std::string("response_format.json_schema.schema: ") + e.what(),
                          "response_format.json_schema.schema", "invalid_schema");
  }
}

// The grammar of tool calls: for a forced call (tool_choice required or a named function)
// the whole reply, from the syntax's prefix on; for tool_choice auto (`after_trigger`) what
// follows the trigger of one call. Arguments are what the function's parameters admit.
std::shared_ptr<const Grammar> call_grammar(const ServedModel& sm, const ToolRequest& t,
                                            bool after_trigger) {
  std::vector<ToolFunction> functions;
  std::vector<std::size_t> index;
  for (std::size_t i = 0; i < t.functions.size(); ++i)
    if (t.choice != "function" || t.functions[i].name == t.forced) {
      functions.push_back(t.functions[i]);
      index.push_back(i);
    }
  const auto syntax = tool_call_syntax(*sm.chat_template);
  std::string head = syntax.prefix + "{\"name\": ";
  if (after_trigger) head.erase(0, syntax.trigger.size());
  try {
    return tool_call_grammar(functions, head, syntax.arguments_key, syntax.suffix, syntax.separator,
                             !after_trigger && t.parallel && t.choice == "required");
  } catch (const JsonSchemaError& e) {
    const auto slash = e.pointer().find('/', 1);
    const auto i = index.at(std::stoul(e.pointer().substr(1, slash - 1)));
    const std::string param = "tools[" + std::to_string(i) + "].function.parameters";
    throw invalid_request(param + ": " + e.what(), param, "unsupported_schema");
  }
}

bool mentions_tools(const ChatRequest& r) {
  if (!r.tools.functions.empty()) return true;
  for (const auto& m : r.messages)
    if (m.role == "tool" || !m.tool_calls.empty()) return true;
  return false;
}

}  // namespace

ChatCompletionsRoute::ChatCompletionsRoute(ModelRegistry& models, const FilterEngine* filters,
                                           ServerMetrics& metrics, std::int64_t max_tokens,
                                           std::atomic<int>& open_streams, RequestLimits limits)
    : models_(models),
      filters_(filters),
      metrics_(metrics),
      max_tokens_(max_tokens),
      open_streams_(open_streams),
      limits_(limits) {}

bool ChatCompletionsRoute::screen_input(ChatRequest& r) {
  if (!filters_) return false;
  for (auto& m : r.messages) {
    if (m.role != "user") continue;
    auto result = filters_->check(m.content, FilterDirection::kInput);
    for (const auto& match : result.matches)
      metrics_.filter_decision("input", match.rule, to_string(result.decision));
    if (result.decision == FilterDecision::kBlock) return true;
    if (result.decision == FilterDecision::kRedact) m.content = result.redacted;
  }
  return false;
}

void ChatCompletionsRoute::add_output_filters(const ChatRequest& r, GenerationChannel& ch) const {
  if (!filters_) return;
  std::string prompt;  // classifier rules judge the answer after the message it answers
  for (const auto& m : r.messages)
    if (m.role == "user") prompt = m.content;
  for (auto& c : ch.choices)
    c.filter = std::make_shared<StreamFilter>(*filters_, FilterDirection::kOutput, prompt);
}

void ChatCompletionsRoute::handle(const ApiCaller& caller, const HttpRequest& req,
                                  HttpResponse& res) {
  const double started = monotonic_seconds();
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) throw invalid_request("the request body is not valid JSON");
  auto r = parse_chat_request(body, limits_, req.body);
  std::shared_ptr<const ServedModel> sm = models_.find(r.model);
  if (!sm || !caller.sees(sm->owner))
    throw ApiError(404, "The model `" + r.model + "` does not exist", "invalid_request_error",
                   "model", "model_not_found");
  if (!sm->chat_template)
    throw invalid_request(
        "the model `" + r.model + "` has no chat template (a base model): use POST /v1/completions",
        "model", "no_chat_template");
  if (mentions_tools(r) && !supports_tools(*sm->chat_template))
    throw invalid_request("the model `" + r.model + "`'s chat template (" +
                              sm->chat_template->name() +
                              ") has no tool-calling convention chosei reads (Hermes <tool_call> "
                              "as Qwen and chatml, Llama 3.1 JSON, Mistral [TOOL_CALLS])",
                          "tools", "unsupported_value");
  const bool forced = r.tools.active() && r.tools.choice != "auto";
  const auto grammar =
      forced ? call_grammar(*sm, r.tools, false) : response_grammar(r.response_format);
  const auto lazy_call = r.tools.active() && !forced ? call_grammar(*sm, r.tools, true) : nullptr;
  auto ch = std::make_shared<GenerationChannel>(static_cast<std::size_t>(r.n));
  if (screen_input(r)) {  // answered without the model, as a content_filter finish
    const auto prompt_tokens = static_cast<std::int64_t>(
        sm->render(r.messages, r.tools.definitions, r.chat_template_kwargs).size());
    for (auto& c : ch->choices) answer_refused(c, prompt_tokens);
    return r.stream ? respond_stream(sm, r, ch, res, started)
                    : respond_json(sm, r, ch, res, started);
  }
  add_output_filters(r, *ch);
  if (grammar && filters_)
    for (auto& c : ch->choices) {
      c.grammar_rules = grammar;
      c.grammar = std::make_unique<GrammarMatcher>(*grammar);
    }
  ChoiceJobs jobs;
  jobs.prompt = sm->render(r.messages, r.tools.definitions, r.chat_template_kwargs);
  const auto prompt_tokens = static_cast<std::int64_t>(jobs.prompt.size());
  if (prompt_tokens >= sm->loop->context())
    throw invalid_request("the messages take " + std::to_string(prompt_tokens) +
                              " tokens; this model's context is " +
                              std::to_string(sm->loop->context()),
                          "messages", "context_length_exceeded");
  jobs.max_tokens = std::min(r.max_tokens.value_or(max_tokens_), max_tokens_);
  jobs.top_logprobs = r.logprobs ? static_cast<int>(r.top_logprobs) : -1;
  if (grammar)
    jobs.constraint = [sm, grammar]() -> std::shared_ptr<TokenConstraint> {
      return std::make_shared<GrammarConstraint>(grammar, sm->token_bytes(), sm->vocabulary_trie(),
                                                 sm->stop_ids);
    };
  else if (lazy_call)  // prose is free; a call, once begun, is well-formed
    jobs.constraint = [sm, lazy_call]() -> std::shared_ptr<TokenConstraint> {
      return std::make_shared<TriggeredConstraint>(tool_call_syntax(*sm->chat_template).trigger,
                                                   lazy_call, sm->token_bytes(),
                                                   sm->vocabulary_trie(), sm->stop_ids);
    };
  submit_choices(*sm, r, jobs, ch);
  if (r.stream) return respond_stream(sm, r, ch, res, started);
  respond_json(sm, r, ch, res, started);
}

void ChatCompletionsRoute::respond_json(std::shared_ptr<const ServedModel> sm, const ChatRequest& r,
                                        std::shared_ptr<GenerationChannel> ch, HttpResponse& res,
                                        double started) {
  auto whole = drain_all(*ch, metrics_);
  json choices = json::array();
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    const auto& w = whole[i];
    if (w.summary.finish_reason == "error") throw ApiError(500, w.summary.error, "server_error");
    std::string finish = reported_finish_reason(w.summary, w.blocked);
    json logprobs = nullptr;
    if (r.logprobs && !w.logprobs_withheld)
      logprobs = chat_logprobs_json(w.logprobs, sm->token_bytes(), sm->tokenizer());
    auto choice = chat_choice_json(i, w.text, finish, logprobs);
    if (r.tools.active() && !w.blocked) {
      ToolCallReply reply(*sm->chat_template, r.tools.choice != "auto");
      std::string content = reply.push(w.text);
      auto parsed = reply.finish();
      content += parsed.content;
      if (!parsed.calls.empty()) {
        choice["message"]["content"] = content.empty() ? json(nullptr) : json(content);
        choice["message"]["tool_calls"] = tool_calls_json(parsed.calls, false);
        choice["finish_reason"] = "tool_calls";
      }
    }
    choices.push_back(choice);
    prompt_tokens = w.summary.prompt_tokens;
    completion_tokens += w.summary.completion_tokens;
  }
  metrics_.tokens(prompt_tokens, completion_tokens);
  metrics_.latency(monotonic_seconds() - started);
  res.body =
      chat_completion_json(completion_id(), sm->name, choices, prompt_tokens, completion_tokens)
          .dump(-1, ' ', false, json::error_handler_t::replace);
}

void ChatCompletionsRoute::respond_stream(std::shared_ptr<const ServedModel> sm,
                                          const ChatRequest& r,
                                          std::shared_ptr<GenerationChannel> ch, HttpResponse& res,
                                          double started) {
  const std::string id = completion_id(), model = sm->name;
  const auto created = unix_now();
  const bool include_usage = r.include_usage, logprobs = r.logprobs;
  auto begun = std::make_shared<bool>(false);
  auto remaining = std::make_shared<std::size_t>(ch->choices.size());
  auto usage = std::make_shared<std::pair<std::int64_t, std::int64_t>>(0, 0);
  auto replies = std::make_shared<std::vector<std::unique_ptr<ToolCallReply>>>(ch->choices.size());
  if (r.tools.active())
    for (auto& reply : *replies)
      reply = std::make_unique<ToolCallReply>(*sm->chat_template, r.tools.choice != "auto");
  res.content_type = "text/event-stream";
  res.headers.emplace_back("Cache-Control", "no-cache");
  ++open_streams_;  // a stream outlives its handler: draining waits for it too
  ServerMetrics& metrics = metrics_;
  res.stream = [=, &metrics](StreamSink& sink) {
    auto write = [&](const json& event) {
      if (sink.write(sse_event(event))) return true;
      ch->cancel();  // the loop cancels the jobs at their next piece
      return false;
    };
    auto lp_json = [&](const std::vector<TokenLogprob>& lps) -> json {
      if (!logprobs || lps.empty()) return nullptr;
      return chat_logprobs_json(lps, sm->token_bytes(), sm->tokenizer());
    };
    if (!*begun) {
      *begun = true;
      for (std::size_t i = 0; i < ch->choices.size(); ++i)
        if (!write(chat_chunk_json(id, created, model, {{"role", "assistant"}, {"content", ""}},
                                   nullptr, i)))
          return false;
    }
    for (auto& d : drain(*ch, metrics)) {
      auto& reply = (*replies)[d.index];
      if (reply)
        for (auto& piece : d.pieces) piece = reply->push(piece);
      std::size_t sent_logprobs = 0;
      for (std::size_t k = 0; k < d.pieces.size(); ++k) {
        // The log-probabilities known so far ride on the piece they belong to (or the last).
        const bool last = k + 1 == d.pieces.size();
        json lp = last ? lp_json(d.logprobs) : json(nullptr);
        if (last) sent_logprobs = d.logprobs.size();
        if (!write(chat_chunk_json(id, created, model, {{"content", d.pieces[k]}}, nullptr, d.index,
                                   lp)))
          return false;
      }
      const std::vector<TokenLogprob> rest(
          d.logprobs.begin() + static_cast<std::ptrdiff_t>(sent_logprobs), d.logprobs.end());
      if (!d.done) {
        if (!rest.empty() && !write(chat_chunk_json(id, created, model, json::object(), nullptr,
                                                    d.index, lp_json(rest))))
          return false;
        continue;
      }
      std::string finish = reported_finish_reason(d.summary, d.blocked);
      if (reply && !d.blocked) {  // the held text: content, or tool_calls deltas
        auto parsed = reply->finish();
        if (!parsed.content.empty() &&
            !write(chat_chunk_json(id, created, model, {{"content", parsed.content}}, nullptr,
                                   d.index)))
          return false;
        if (!parsed.calls.empty()) {
          finish = "tool_calls";
          // As OpenAI streams a call: id, type and name with empty arguments, then the
          // arguments (clients concatenate by index).
          auto calls = tool_calls_json(parsed.calls, true);
          for (auto& call : calls) {
            json head = call, rest = {{"index", call["index"]},
                                      {"function", {{"arguments", call["function"]["arguments"]}}}};
            head["function"]["arguments"] = "";
            for (const auto& delta : {head, rest})
              if (!write(chat_chunk_json(id, created, model, {{"tool_calls", json::array({delta})}},
                                         nullptr, d.index)))
                return false;
          }
        }
      }
      if (!write(
              chat_chunk_json(id, created, model, json::object(), finish, d.index, lp_json(rest))))
        return false;
      usage->first = d.summary.prompt_tokens;
      usage->second += d.summary.completion_tokens;
      --*remaining;
    }
    if (*remaining > 0) return true;
    if (include_usage && !write(usage_chunk_json(id, created, model, usage->first, usage->second)))
      return false;
    if (!sink.write("data: [DONE]\n\n")) return false;
    metrics.tokens(usage->first, usage->second);
    metrics.latency(monotonic_seconds() - started);
    sink.done();
    return true;
  };
  std::atomic<int>& open = open_streams_;
  res.stream_finished = [ch, &open](bool success) {
    --open;  // the stream is over (sent or abandoned)
    if (!success) ch->cancel();
  };
}

}  // namespace chosei
