#include "chat/generation_channel.h"

#include <chrono>

namespace chosei {

void GenerationChannel::connect(const std::shared_ptr<GenerationChannel>& ch, std::size_t index,
                                GenerationJob& job) {
  job.on_text = [ch, index](const std::string& piece) {
    std::lock_guard<std::mutex> lock(ch->mutex);
    ch->choices[index].pieces.push_back(piece);
    ch->ready.notify_all();
    return !ch->client_gone && !ch->choices[index].blocked;
  };
  job.on_logprob = [ch, index](const TokenLogprob& lp) {
    std::lock_guard<std::mutex> lock(ch->mutex);
    ch->choices[index].logprobs.push_back(lp);
  };
  job.on_prompt_logprobs = [ch, index](const std::vector<TokenLogprob>& lps) {
    std::lock_guard<std::mutex> lock(ch->mutex);
    ch->choices[index].prompt_logprobs = lps;
  };
  job.on_done = [ch, index](const GenerationSummary& s) {
    std::lock_guard<std::mutex> lock(ch->mutex);
    ch->choices[index].summary = s;
    ch->choices[index].done = true;
    ch->ready.notify_all();
  };
}

void GenerationChannel::cancel() {
  std::lock_guard<std::mutex> lock(mutex);
  client_gone = true;
}

std::string reported_finish_reason(const GenerationSummary& s, bool blocked) {
  if (blocked) return "content_filter";
  if (s.finish_reason == "cancelled" || s.finish_reason == "error") return "stop";
  return s.finish_reason;
}

void answer_refused(ChoiceChannel& c, std::int64_t prompt_tokens) {
  c.pieces.push_back("I can't help with that request.");
  c.done = true;
  c.summary.finish_reason = "content_filter";
  c.summary.prompt_tokens = prompt_tokens;
}

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

namespace {

bool has_news(const ChoiceChannel& c) {
  return !c.pieces.empty() || !c.logprobs.empty() || (c.done && !c.done_reported);
}

// Runs the output filter over one choice's raw news (HTTP thread, without the lock).
void filter_news(ChoiceChannel& c, std::deque<std::string>& raw, DrainedChoice& d,
                 ServerMetrics& metrics, std::mutex& mutex) {
  bool broke_grammar = c.grammar && c.blocked;  // once broken, nothing more is sent
  auto release = [&](std::string text) {
    if (text.empty() || broke_grammar) return;
    if (c.grammar && !c.grammar->accept(text)) {
      broke_grammar = true;
      return;
    }
    d.pieces.push_back(std::move(text));
  };
  for (auto& piece : raw) release(c.filter ? c.filter->push(piece) : std::move(piece));
  if (!c.filter) return;
  c.held.insert(c.held.end(), d.logprobs.begin(), d.logprobs.end());
  d.logprobs.clear();
  if (d.done) release(c.filter->finish());
  std::lock_guard<std::mutex> lock(mutex);
  if ((c.filter->blocked() || broke_grammar) && !c.blocked) {
    c.blocked = true;
    metrics.filter_decision("output", "stream", "block");
  }
  d.blocked = c.blocked;
  if (!d.done) return;
  if (c.filter->decision() == FilterDecision::kAllow)
    d.logprobs.swap(c.held);
  else
    d.logprobs_withheld = !c.held.empty();
}

}  // namespace

std::vector<DrainedChoice> drain(GenerationChannel& ch, ServerMetrics& metrics) {
  std::vector<DrainedChoice> out;
  std::vector<std::deque<std::string>> raw;
  {
    std::unique_lock<std::mutex> lock(ch.mutex);
    ch.ready.wait(lock, [&] {
      for (const auto& c : ch.choices)
        if (has_news(c)) return true;
      return false;
    });
    for (std::size_t i = 0; i < ch.choices.size(); ++i) {
      auto& c = ch.choices[i];
      if (!has_news(c)) continue;
      DrainedChoice d;
      d.index = i;
      raw.emplace_back().swap(c.pieces);
      d.logprobs.swap(c.logprobs);
      d.done = c.done;
      if (c.done) c.done_reported = true;
      d.summary = c.summary;
      d.blocked = c.blocked;
      out.push_back(std::move(d));
    }
  }
  for (std::size_t k = 0; k < out.size(); ++k)
    filter_news(ch.choices[out[k].index], raw[k], out[k], metrics, ch.mutex);
  return out;
}

std::vector<WholeChoice> drain_all(GenerationChannel& ch, ServerMetrics& metrics) {
  std::vector<WholeChoice> whole(ch.choices.size());
  for (std::size_t remaining = ch.choices.size(); remaining > 0;) {
    for (auto& d : drain(ch, metrics)) {
      auto& w = whole[d.index];
      for (const auto& p : d.pieces) w.text += p;
      w.logprobs.insert(w.logprobs.end(), d.logprobs.begin(), d.logprobs.end());
      w.blocked = w.blocked || d.blocked;
      w.logprobs_withheld = w.logprobs_withheld || d.logprobs_withheld;
      if (d.done) {
        w.summary = d.summary;
        std::lock_guard<std::mutex> lock(ch.mutex);
        w.prompt_logprobs = ch.choices[d.index].prompt_logprobs;
        --remaining;
      }
    }
  }
  return whole;
}

}  // namespace chosei
