#include "chat/choice_jobs.h"

#include <random>

#include "chat/api_error.h"

namespace chosei {

void submit_choices(const ServedModel& sm, const GenerationParams& r, const ChoiceJobs& spec,
                    const std::shared_ptr<GenerationChannel>& ch) {
  const std::uint64_t seed = r.seed.value_or(std::random_device{}());
  for (std::int64_t i = 0; i < r.n; ++i) {
    auto job = std::make_shared<GenerationJob>();
    job->prompt = spec.prompt;
    job->max_tokens = spec.max_tokens;
    job->sampling.temperature = r.temperature;
    job->sampling.top_p = r.top_p > 0 ? r.top_p : 1.0;
    job->sampling.presence_penalty = r.presence_penalty;
    job->sampling.frequency_penalty = r.frequency_penalty;
    job->sampling.seed = seed + static_cast<std::uint64_t>(i);
    job->sampling.top_logprobs = spec.top_logprobs;
    job->prompt_logprobs = spec.prompt_logprobs;
    job->stop = r.stop;
    job->eos_ids = sm.stop_ids;
    if (spec.constraint) job->constraint = spec.constraint();
    GenerationChannel::connect(ch, spec.first_index + static_cast<std::size_t>(i), *job);
    if (!sm.loop->submit(job)) {
      ch->cancel();
      throw ApiError(429, "too many requests are waiting; retry shortly", "rate_limit_error");
    }
  }
}

}  // namespace chosei
