// `chosei generate`: complete a prompt (or answer it as a chat user message) with a model.

#include <torch/torch.h>

#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "formats/model_dir.h"
#include "generate/generation.h"
#include "model/compute_device.h"
#include "model/decoding_placement.h"
#include "tokenizer/chat_messages.h"
#include "tokenizer/chat_template.h"

namespace chosei::cli {

namespace {

struct GenerateArgs {
  std::string model, prompt, precision = "fp32", weights, kv_cache = "f32", device = "cpu";
  std::string chat_template;  // --template: a built-in's name or a Jinja file
  std::int64_t max_new_tokens = 256;
  SamplingOptions sampling;
  std::vector<std::string> stop;
  bool chat = false, json = false;
  int threads = 1;
};

std::vector<TokenId> prompt_ids(const LoadedModel& m, const GenerateArgs& a) {
  const Tokenizer& tok = *m.tokenizer.tokenizer;
  if (a.chat) {
    auto tmpl = choose_chat_template(m.tokenizer.config, a.chat_template);
    return tmpl.render(tok, {{"user", a.prompt}}, /*add_generation_prompt=*/true).ids;
  }
  auto ids = tok.encode(a.prompt, /*add_special=*/true);
  if (ids.empty()) {
    // A tokenizer that adds no BOS (GPT-2 style) starts an empty prompt at its
    // end-of-text token, the document separator it was trained with.
    TokenId start = tok.bos_id() >= 0 ? tok.bos_id() : tok.eos_id();
    if (start < 0)
      throw std::invalid_argument(
          "empty prompt and the tokenizer has no BOS or EOS token to start from");
    ids.push_back(start);
  }
  return ids;
}

void run_generate(const GenerateArgs& a) {
  set_threads(a.threads);
  parse_compute_device(a.device);  // a machine without that device fails before the load
  auto m = load_model_dir(a.model);
  m.model->set_precision(parse_precision(a.precision));
  place_for_decoding(*m.model, {a.device, a.weights, a.kv_cache});
  GenerateOptions opt;
  opt.max_new_tokens = a.max_new_tokens;
  opt.sampling = a.sampling;
  opt.stop = a.stop;
  opt.eos_ids = a.chat ? stop_token_ids(m.eos_ids(),
                                        choose_chat_template(m.tokenizer.config, a.chat_template),
                                        *m.tokenizer.tokenizer)
                       : m.eos_ids();
  auto prompt = prompt_ids(m, a);
  if (a.json) {
    // The exact ids, for comparing with another runtime token for token.
    auto r = generate(m.model, *m.tokenizer.tokenizer, prompt, opt);
    nlohmann::json out = {{"prompt_ids", prompt},
                          {"ids", r.ids},
                          {"text", r.text},
                          {"finish_reason", r.finish_reason}};
    std::cout << out.dump() << "\n";
    return;
  }
  generate(m.model, *m.tokenizer.tokenizer, prompt, opt,
           [](const std::string& piece) { std::cout << piece << std::flush; });
  // A terminal gets a final newline; a pipe or file gets exactly the generated text.
  if (isatty(STDOUT_FILENO)) std::cout << "\n";
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "Generate text from a prompt, streamed to stdout");
  cmd->add_option("--model", args->model, "Model directory (HF layout)")->required();
  cmd->add_option("--prompt", args->prompt, "Prompt text (raw completion unless --chat)")
      ->default_val("");
  cmd->add_option("--template", args->chat_template,
                  "With --chat: a built-in format (chatml, llama3, llama2, zephyr, gemma) or a "
                  "Jinja template file (default: the model's own)");
  cmd->add_option("--max-new-tokens", args->max_new_tokens, "Most tokens to generate")
      ->capture_default_str();
  cmd->add_option("--temperature", args->sampling.temperature, "Sampling temperature; 0 is greedy")
      ->capture_default_str();
  cmd->add_option("--top-k", args->sampling.top_k, "Keep the K most likely tokens; 0 keeps all")
      ->capture_default_str();
  cmd->add_option("--top-p", args->sampling.top_p, "Nucleus sampling mass")->capture_default_str();
  cmd->add_option("--repetition-penalty", args->sampling.repetition_penalty,
                  "CTRL repetition penalty; 1 is off")
      ->capture_default_str();
  cmd->add_option("--seed", args->sampling.seed, "Random seed")->capture_default_str();
  add_repeatable(cmd, "--stop", args->stop, "Stop string (repeatable)");
  cmd->add_flag("--chat", args->chat,
                "Render the prompt as one user message with the model's chat template");
  cmd->add_option("--precision", args->precision, "Compute precision")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  cmd->add_option("--weights", args->weights, kWeightsHelp)
      ->check(CLI::IsMember({"f32", "bf16", "q8_0"}));
  cmd->add_option("--kv-cache", args->kv_cache, kKvCacheHelp)
      ->check(CLI::IsMember({"f32", "f16"}))
      ->capture_default_str();
  cmd->add_option("--device", args->device, kDeviceHelp)->capture_default_str();
  cmd->add_flag("--json", args->json,
                "Print one JSON object: prompt_ids, ids (generated, EOS excluded), text, "
                "finish_reason");
  cmd->add_option("--threads", args->threads,
                  "Compute threads; 0: OMP_NUM_THREADS if set, else every core")
      ->capture_default_str();
  cmd->callback([args] { run_generate(*args); });
}

}  // namespace chosei::cli
