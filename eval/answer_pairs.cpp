#include "eval/answer_pairs.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "eval/prompt_answers.h"
#include "tokenizer/chat_messages.h"

namespace chosei {

namespace {

// One answer to make: which prompt, which of its pairs, which side.
struct Slot {
  std::size_t prompt = 0;
  int sample = 0;
  int side = 0;  // 0: a, 1: b
};

std::uint64_t answer_seed(std::uint64_t base, const Slot& s, int samples) {
  return base * 1000003ull + (static_cast<std::uint64_t>(s.prompt) * samples + s.sample) * 2 +
         static_cast<std::uint64_t>(s.side);
}

std::string sampling_json(const AnswerPairOptions& o, const std::string& dir,
                          const PromptAnswer& a) {
  return nlohmann::json{
      {"temperature", o.temperature},       {"top_p", o.top_p},
      {"max_new_tokens", o.max_new_tokens}, {"model_dir", dir},
      {"finish_reason", a.finish_reason},   {"completion_tokens", a.completion_tokens}}
      .dump();
}

bool blank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

void check(const AnswerPairOptions& o) {
  if (o.models.empty() || o.models.size() > 2)
    throw std::invalid_argument("give one --model (sampled twice) or two (one answer each), not " +
                                std::to_string(o.models.size()));
  if (o.models.size() == 2 && o.models[0].first == o.models[1].first)
    throw std::invalid_argument("the two --model names are both \"" + o.models[0].first + "\"");
  if (o.models.size() == 1 && o.temperature <= 0)
    throw std::invalid_argument(
        "one model at temperature 0 answers the same twice; give --temperature above 0");
  if (o.samples < 1) throw std::invalid_argument("--samples must be at least 1");
}

}  // namespace

AnswerPairs generate_answer_pairs(const std::vector<PromptRecord>& prompts,
                                  const AnswerPairOptions& o) {
  check(o);
  // Which model makes each slot's answer: with two models the side says which.
  std::vector<std::vector<Slot>> work(o.models.size());
  for (std::size_t p = 0; p < prompts.size(); ++p)
    for (int k = 0; k < o.samples; ++k)
      for (int side = 0; side < 2; ++side)
        work[o.models.size() == 2 ? side : 0].push_back({p, k, side});

  std::vector<LabelItemInput> items(prompts.size() * static_cast<std::size_t>(o.samples));
  for (std::size_t m = 0; m < o.models.size(); ++m) {
    const auto& [name, dir] = o.models[m];
    std::vector<AnswerRequest> requests;
    for (const auto& s : work[m]) {
      AnswerRequest r;
      Conversation c;
      c.turns = prompts[s.prompt].turns;
      r.messages = conversation_messages(c);
      r.raw = prompts[s.prompt].text_prompt;
      r.sampling.temperature = o.temperature;
      r.sampling.top_p = o.top_p;
      r.sampling.seed = answer_seed(o.seed, s, o.samples);
      r.max_new_tokens = o.max_new_tokens;
      requests.push_back(std::move(r));
    }
    const auto answers = answer_requests(dir, requests, {o.max_batch, o.precision});
    for (std::size_t i = 0; i < answers.size(); ++i) {
      const auto& s = work[m][i];
      auto& item = items[s.prompt * static_cast<std::size_t>(o.samples) + s.sample];
      LabelAnswer& a = s.side == 0 ? item.a : item.b;
      a.content = answers[i].text;
      a.model = name;
      a.seed = static_cast<std::int64_t>(requests[i].sampling.seed);
      a.sampling_json = sampling_json(o, dir, answers[i]);
    }
  }
  AnswerPairs out;
  for (std::size_t p = 0; p < prompts.size(); ++p)
    for (int k = 0; k < o.samples; ++k) {
      auto& item = items[p * static_cast<std::size_t>(o.samples) + k];
      if (blank(item.a.content) || blank(item.b.content)) {
        ++out.empty;
        continue;
      }
      if (item.a.content == item.b.content) {
        ++out.identical;
        continue;
      }
      item.external_id =
          o.samples == 1 ? prompts[p].id : prompts[p].id + "#" + std::to_string(k + 1);
      nlohmann::json messages = nlohmann::json::array();
      for (const auto& t : prompts[p].turns)
        messages.push_back({{"role", t.role}, {"content", t.content}});
      item.prompt_json = messages.dump();
      out.items.push_back(std::move(item));
    }
  return out;
}

}  // namespace chosei
