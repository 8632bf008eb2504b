#pragma once
// GenerationChannel: what the generation jobs of one request (one per choice, `n` of them)
// hand from the loop thread to the HTTP thread. The loop only appends raw text pieces and
// log-probabilities; the output filter runs on the HTTP thread (drain), because a classifier
// rule costs milliseconds and every stream batched on the loop would wait for it.
//
// Log-probabilities name tokens, so they must not leak what the output filter holds back:
// without a filter they go out with the text; with one they wait for the choice's end and
// go out only if the filter passed its text unchanged (otherwise they are withheld).
// A constrained choice whose filtered text would leave its grammar ends as blocked.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "chat/server_metrics.h"
#include "filters/stream_filter.h"
#include "generate/generation_loop.h"
#include "generate/grammar_matcher.h"

namespace chosei {

struct ChoiceChannel {
  // Written by the loop thread, under the channel's mutex.
  std::deque<std::string> pieces;
  std::vector<TokenLogprob> logprobs;
  std::vector<TokenLogprob> prompt_logprobs;  // when the prompt was scored
  bool done = false;
  GenerationSummary summary;
  // The HTTP thread's (also under the mutex where the loop reads them).
  bool blocked = false, done_reported = false;
  std::shared_ptr<StreamFilter> filter;  // null: no output filter
  std::vector<TokenLogprob> held;        // logprobs waiting for the filter's verdict
  // With a constrained output (JSON), the filtered text must stay in the language: a
  // redaction that would break it (a phone-like number replaced by "[PHONE]") ends the choice
  // as a block instead, before the piece is sent.
  std::shared_ptr<const Grammar> grammar_rules;  // what `grammar` reads
  std::unique_ptr<GrammarMatcher> grammar;
};

struct GenerationChannel {
  explicit GenerationChannel(std::size_t choices) : choices(choices) {}
  std::mutex mutex;
  std::condition_variable ready;
  bool client_gone = false;
  std::vector<ChoiceChannel> choices;

  // The job's callbacks for choice `index` (they keep the channel alive).
  static void connect(const std::shared_ptr<GenerationChannel>& ch, std::size_t index,
                      GenerationJob& job);
  void cancel();  // the client is gone: every job stops at its next piece
};

// What the HTTP thread may send now for one choice, after the output filter.
struct DrainedChoice {
  std::size_t index = 0;
  std::vector<std::string> pieces;
  std::vector<TokenLogprob> logprobs;
  bool done = false, blocked = false;
  bool logprobs_withheld = false;  // the filter changed the text
  GenerationSummary summary;
};

// The finish_reason a client sees: content_filter when the filter blocked the choice; a job
// that was cancelled or failed mid-stream ends as "stop" (its text so far stands).
std::string reported_finish_reason(const GenerationSummary& summary, bool blocked);
// Fills `c` with the answer to a prompt the input filters refused: no model run.
void answer_refused(ChoiceChannel& c, std::int64_t prompt_tokens);
// Monotonic seconds, for the latency metric.
double monotonic_seconds();

// Waits until some choice has news, and takes the news of every choice that has any. A block
// is flagged on its choice, and the loop stops that job at its next piece.
std::vector<DrainedChoice> drain(GenerationChannel& ch, ServerMetrics& metrics);
// Drains until every choice is done; the whole text and log-probabilities of each.
struct WholeChoice {
  std::string text;
  std::vector<TokenLogprob> logprobs, prompt_logprobs;
  bool blocked = false, logprobs_withheld = false;
  GenerationSummary summary;
};
std::vector<WholeChoice> drain_all(GenerationChannel& ch, ServerMetrics& metrics);

}  // namespace chosei
