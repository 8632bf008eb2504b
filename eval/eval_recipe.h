#pragma once
// The evaluation recipe (`chosei eval`): loss and perplexity on assistant tokens, then for
// each conversation a greedy answer to its last user turn scored by token F1 and ROUGE-L
// against the reference answer; with a baseline model, both side by side.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace chosei {

struct EvalArgs {
  std::string model, baseline, data, out, format = "auto";
  std::vector<std::string> map;
  std::int64_t max_examples = 50;  // answers to generate (0: none)
  std::int64_t max_new_tokens = 128;
  std::int64_t batch = 8;  // answers decoded together
  std::int64_t max_seq_len = 2048;
  std::string precision = "fp32";
  std::string chat_template;  // a built-in's name or a Jinja file; "": the model's own
  // General chat data, not the domain's: its loss measures what fine-tuning forgot.
  std::string general;
};

// Returns the summary: {"model": {...}, "baseline": {...}?} where each holds loss,
// perplexity, tokens, examples, token_f1, rouge_l, generated. The top level also repeats
// the evaluated model's "loss" and "perplexity". With `general`, each also holds
// general_loss and general_perplexity on it, and with a baseline the top level holds
// "forgetting": the model's general loss minus the baseline's (catastrophic forgetting,
// McCloskey & Cohen 1989: what domain fine-tuning cost the model on data it was not tuned on).
nlohmann::json run_eval(const EvalArgs& args);

}  // namespace chosei
