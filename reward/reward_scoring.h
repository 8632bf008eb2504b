#pragma once
// `chosei reward score --model DIR --jsonl FILE [--ids]`: the reward of each answer, one
// JSON line out per line in. A line is {"prompt", "completion"} (strings: raw text, no
// template; message lists: the chat template) or {"messages": [...]} whose last assistant
// turn is the answer judged. Out: {"reward": r}, plus "reward_normalized" ((r - mean) / std)
// when the model carries its eval-set statistics and "ids" (the tokens scored) with --ids.

#include <cstdint>
#include <ostream>
#include <string>

namespace chosei {

struct RewardScoreOptions {
  std::string model, jsonl, chat_template;
  bool ids = false;
  std::int64_t batch_size = 16;  // sequences per forward pass / 2
};

// Returns the number of lines scored. Throws at file:line for a bad line.
std::size_t score_jsonl(const RewardScoreOptions& options, std::ostream& out);

}  // namespace chosei
