// `chosei template render`: a chat template rendered as transformers renders it (jinja/), for
// users' scripts and outside checks. Prints the text exactly (no newline added), or with --ids
// its token ids as a JSON array.

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "cli/commands.h"
#include "jinja/template.h"
#include "tokenizer/tokenizer_loader.h"

namespace chosei::cli {

namespace {

namespace fs = std::filesystem;
using Ordered = nlohmann::ordered_json;

struct RenderArgs {
  std::string model, template_file, messages, tools;
  std::vector<std::string> vars;
  bool add_generation_prompt = false, ids = false;
};

Ordered read_json_file(const std::string& path, const char* option, bool want_array) {
  Ordered j = Ordered::parse(read_file(path), nullptr, false);
  if (j.is_discarded())
    throw std::invalid_argument(std::string(option) + " " + path + ": not JSON");
  if (want_array && !j.is_array())
    throw std::invalid_argument(std::string(option) + " " + path + ": expected a JSON array");
  return j;
}

// The model's own template: chat_template.jinja beside the tokenizer, else the
// tokenizer_config.json's chat_template.
std::string model_template(const std::string& dir, const LoadedTokenizer& tok) {
  const auto file = fs::path(dir) / "chat_template.jinja";
  if (fs::exists(file)) return read_file(file.string());
  if (tok.config.chat_template.empty())
    throw std::invalid_argument(dir + ": the model has no chat template (tokenizer_config.json " +
                                "chat_template or chat_template.jinja); give --template FILE");
  return tok.config.chat_template;
}

void run_render(const RenderArgs& a) {
  std::optional<LoadedTokenizer> tok;
  if (!a.model.empty()) tok = load_tokenizer(a.model);
  if (a.ids && !tok) throw std::invalid_argument("--ids needs --model (its tokenizer)");
  const std::string source =
      !a.template_file.empty() ? read_file(a.template_file) : model_template(a.model, *tok);
  std::map<std::string, jinja::Value> context;
  if (tok) {
    const auto& c = tok->config;
    for (const auto& [name, value] : {std::pair{"bos_token", c.bos_token},
                                      {"eos_token", c.eos_token},
                                      {"pad_token", c.pad_token},
                                      {"unk_token", c.unk_token}})
      if (!value.empty()) context[name] = jinja::Value(value);
  }
  context["messages"] = jinja::Value::from_json(read_json_file(a.messages, "--messages", true));
  if (!a.tools.empty())
    context["tools"] = jinja::Value::from_json(read_json_file(a.tools, "--tools", true));
  context["add_generation_prompt"] = jinja::Value(a.add_generation_prompt);
  for (const auto& var : a.vars) {
    const auto eq = var.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::invalid_argument("--var " + var + ": expected NAME=JSON");
    Ordered value = Ordered::parse(var.substr(eq + 1), nullptr, false);
    if (value.is_discarded())
      throw std::invalid_argument("--var " + var +
                                  ": the value is not JSON (a string needs quotes)");
    context[var.substr(0, eq)] = jinja::Value::from_json(value);
  }
  const std::string text = jinja::Template(source).render(context).text;
  if (a.ids) {
    std::cout << nlohmann::json(tok->tokenizer->encode(text, false)).dump();
    return;
  }
  std::cout << text << std::flush;
}

}  // namespace

void add_template_commands(CLI::App& app) {
  auto* group = app.add_subcommand("template", "Render chat templates as transformers does");
  group->require_subcommand(1);
  auto a = std::make_shared<RenderArgs>();
  auto* render = group->add_subcommand(
      "render", "Render a conversation through a chat template (the text exactly, or --ids)");
  auto* model = render->add_option("--model", a->model,
                                   "Model or tokenizer directory: its template, special tokens "
                                   "and tokenizer");
  auto* file = render->add_option("--template", a->template_file, "A Jinja template file");
  model->check(CLI::ExistingDirectory);
  file->check(CLI::ExistingFile);
  render->add_option("--messages", a->messages, "JSON array of messages (OpenAI shape)")
      ->required()
      ->check(CLI::ExistingFile);
  render->add_option("--tools", a->tools, "JSON array of tools")->check(CLI::ExistingFile);
  render->add_flag("--add-generation-prompt", a->add_generation_prompt,
                   "End with the assistant's turn opened");
  add_repeatable(render, "--var", a->vars, "Another template variable, NAME=JSON (repeatable)");
  render->add_flag("--ids", a->ids, "Print the token ids (JSON array) instead of the text");
  render->callback([a, model, file] {
    if (!*model && !*file)
      throw std::invalid_argument("template render needs --model or --template");
    run_render(*a);
  });
}

}  // namespace chosei::cli
