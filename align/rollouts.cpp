#include "align/rollouts.h"

namespace chosei {

namespace {

// SplitMix64 (Steele, Lea & Flood 2014): well-mixed seeds from small consecutive inputs.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::uint64_t rollout_seed(std::uint64_t seed, const RolloutSlot& slot) {
  auto h = mix(seed);
  h = mix(h ^ static_cast<std::uint64_t>(slot.epoch));
  h = mix(h ^ static_cast<std::uint64_t>(slot.prompt));
  return mix(h ^ static_cast<std::uint64_t>(slot.generation));
}

std::vector<Rollout> generate_rollouts(const AnsweringModel& policy,
                                       const std::vector<PromptRecord>& prompts,
                                       const std::vector<RolloutSlot>& slots,
                                       const RolloutSampling& sampling) {
  std::vector<AnswerRequest> requests;
  for (const auto& slot : slots) {
    SamplingOptions s;
    s.temperature = sampling.temperature;
    s.top_p = sampling.top_p;
    s.seed = rollout_seed(sampling.seed, slot);
    requests.push_back(prompt_request(prompts.at(slot.prompt), s, sampling.max_new_tokens));
  }
  AnswerBatchOptions options;
  options.max_batch = sampling.max_batch;
  std::vector<Rollout> out;
  for (auto& a : answer_requests(policy, requests, options)) {
    Rollout r;
    r.sequence.ids = std::move(a.prompt_ids);
    r.sequence.prompt_tokens = r.sequence.ids.size();
    r.sequence.ids.insert(r.sequence.ids.end(), a.completion_ids.begin(), a.completion_ids.end());
    r.text = std::move(a.text);
    r.truncated = a.finish_reason == "length";
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace chosei
