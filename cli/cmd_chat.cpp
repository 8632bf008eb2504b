// `chosei chat`: an interactive terminal chat with a model, with the server's chat template,
// sampling options and safety filters. /new starts over, /exit (or end of input) leaves.

#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "filters/stream_filter.h"
#include "formats/model_dir.h"
#include "generate/generation.h"
#include "model/compute_device.h"
#include "model/decoding_placement.h"
#include "tokenizer/chat_messages.h"
#include "tokenizer/chat_template.h"

namespace chosei::cli {

namespace {

struct ChatArgs {
  std::string model, system, precision = "fp32", weights, kv_cache = "f32", device = "cpu";
  std::int64_t max_tokens = 512;
  SamplingOptions sampling;
  std::vector<std::string> packs;
  std::string chat_template;
  bool no_filters = false;
  int threads = 0;
};

void run_chat(ChatArgs a) {
  set_threads(a.threads);
  parse_compute_device(a.device);  // a machine without that device fails before the load
  auto m = load_model_dir(a.model);
  m.model->set_precision(parse_precision(a.precision));
  place_for_decoding(*m.model, {a.device, a.weights, a.kv_cache});
  const Tokenizer& tok = *m.tokenizer.tokenizer;
  auto tmpl = choose_chat_template(m.tokenizer.config, a.chat_template);
  GenerateOptions opt;
  opt.max_new_tokens = a.max_tokens;
  opt.sampling = a.sampling;
  opt.eos_ids = stop_token_ids(m.eos_ids(), tmpl, tok);
  std::unique_ptr<FilterEngine> filters;
  if (!a.no_filters) filters = std::make_unique<FilterEngine>(load_rule_packs(a.packs));
  const bool tty = isatty(STDIN_FILENO);
  std::vector<ChatMessage> history;
  if (!a.system.empty()) history.push_back({"system", a.system});
  if (tty) std::cout << "chosei chat: " << a.model << " (/new starts over, /exit leaves)\n";
  for (std::string line;;) {
    if (tty) std::cout << "\n> " << std::flush;
    if (!std::getline(std::cin, line) || line == "/exit") break;
    if (line == "/new") {
      history.resize(a.system.empty() ? 0 : 1);
      continue;
    }
    if (line.empty()) continue;
    if (filters) {
      auto r = filters->check(line, FilterDirection::kInput);
      if (r.decision == FilterDecision::kBlock) {
        std::cout << "[refused by the " << r.matches.front().rule << " filter]\n";
        continue;
      }
      if (r.decision == FilterDecision::kRedact) line = r.redacted;
    }
    history.push_back({"user", line});
    auto prompt = tmpl.render(tok, history, /*add_generation_prompt=*/true).ids;
    std::unique_ptr<StreamFilter> out;
    if (filters) out = std::make_unique<StreamFilter>(*filters, FilterDirection::kOutput);
    std::string answer;
    auto print = [&](const std::string& s) {
      answer += s;
      std::cout << s << std::flush;
    };
    auto result = generate(m.model, tok, prompt, opt, [&](const std::string& piece) {
      print(out ? out->push(piece) : piece);
    });
    if (out) print(out->finish());
    std::cout << "\n";
    history.push_back({"assistant", answer});
    opt.sampling.seed += 1;  // a new draw per turn
    (void)result;
  }
}

}  // namespace

void add_chat_command(CLI::App& app) {
  auto a = std::make_shared<ChatArgs>();
  auto* cmd = app.add_subcommand("chat", "Chat with a model in the terminal");
  cmd->add_option("--model", a->model, "Model directory")->required();
  cmd->add_option("--system", a->system, "System prompt");
  cmd->add_option("--template", a->chat_template,
                  "A built-in format (chatml, llama3, llama2, zephyr, gemma) or a Jinja template "
                  "file (default: the model's own)");
  cmd->add_option("--max-tokens", a->max_tokens, "Most tokens per answer")->capture_default_str();
  cmd->add_option("--temperature", a->sampling.temperature, "Sampling temperature; 0 is greedy")
      ->capture_default_str();
  cmd->add_option("--top-p", a->sampling.top_p, "Nucleus sampling mass")->capture_default_str();
  cmd->add_option("--seed", a->sampling.seed, "Random seed")->capture_default_str();
  add_repeatable(
      cmd, "--pack", a->packs,
      "Filter pack: built-in name (safety: the learned classifier), JSON file or pack folder "
      "(repeatable; default: the pattern packs)");
  cmd->add_flag("--no-filters", a->no_filters, "Chat without the safety filters");
  cmd->add_option("--precision", a->precision, "Compute precision")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  cmd->add_option("--weights", a->weights, kWeightsHelp)
      ->check(CLI::IsMember({"f32", "bf16", "q8_0"}));
  cmd->add_option("--kv-cache", a->kv_cache, kKvCacheHelp)
      ->check(CLI::IsMember({"f32", "f16"}))
      ->capture_default_str();
  cmd->add_option("--device", a->device, kDeviceHelp)->capture_default_str();
  cmd->add_option("--threads", a->threads,
                  "Compute threads; 0: OMP_NUM_THREADS if set, else every core")
      ->capture_default_str();
  cmd->callback([a] { run_chat(*a); });
}

}  // namespace chosei::cli
