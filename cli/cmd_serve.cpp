// `chosei serve`: the OpenAI-compatible chat server. SIGTERM and SIGINT drain it: new
// requests get 503, in-flight ones finish, then the process exits 0.

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

#include "chat/chat_server.h"
#include "chat/label_routes.h"
#include "cli/commands.h"
#include "datasets/text_lines.h"
#include "finetune/job_request.h"
#include "model/compute_device.h"

namespace chosei::cli {

namespace {

struct ServeArgs {
  std::vector<std::string> models, api_keys, packs;
  std::string host = "127.0.0.1", api_keys_file, precision = "fp32", annotators_file, weights,
              kv_cache = "f32", chat_template;
  int port = 8080, threads = 0;
  bool no_filters = false;
  ChatServerOptions options;
};

}  // namespace

std::pair<std::string, std::string> parse_named_dir(const std::string& option,
                                                    const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw std::invalid_argument(option + " expects NAME=DIR, got \"" + spec + "\"");
  return {spec.substr(0, eq), spec.substr(eq + 1)};
}

namespace {

void run_serve(ServeArgs a) {
  set_threads(a.threads);
  auto& o = a.options;
  o.host = a.host;
  o.port = a.port;
  for (const auto& spec : a.models) o.models.push_back(parse_named_dir("--model", spec));
  o.chat_template = a.chat_template;
  o.api_keys.insert(a.api_keys.begin(), a.api_keys.end());
  if (!a.api_keys_file.empty())
    for (const auto& line : read_nonblank_lines(a.api_keys_file)) o.api_keys.insert(line.text);
  o.packs = a.packs;
  o.filters = !a.no_filters;
  o.precision = parse_precision(a.precision);
  o.weights = a.weights;
  o.kv_cache = a.kv_cache;
  parse_compute_device(o.device);  // a machine without that device fails before any load
  for (const auto& setting : o.job_settings) check_operator_setting(setting);
  if (!o.data_dir.empty()) {
    // Jobs run in this same program (its recipes), wherever it was started from.
    std::error_code ec;
    o.program = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    if (ec) throw std::runtime_error("cannot find this program (/proc/self/exe): " + ec.message());
  }
  if (!o.label_db.empty()) {
    if (a.annotators_file.empty()) throw std::invalid_argument("--label-db needs --annotators");
    o.annotators = read_annotators_file(a.annotators_file);
  }
  serve_until_signal(o, "chosei serve");
}

}  // namespace

void serve_until_signal(const ChatServerOptions& o, const std::string& program) {
  // Signals are taken by a waiting thread (sigwait), never by a handler mid-request.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ChatServer server(o);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&set, &sig);
    std::cerr << program << ": draining (signal " << sig << ")\n";
    server.stop();
  });
  server.run(
      [&](int port) { std::cout << "listening on http://" << o.host << ":" << port << std::endl; });
  waiter.join();
}

void add_serve_command(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "OpenAI-compatible chat server with a web chat page");
  add_repeatable(cmd, "--model", a->models, "NAME=DIR (repeatable; chosen by the request's model)")
      ->required();
  cmd->add_option("--template", a->chat_template,
                  "Chat template for the --model models: a built-in's name or a Jinja file "
                  "(vLLM's --chat-template; default each model's own)");
  cmd->add_option("--host", a->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", a->port, "Port (0 picks a free one)")->capture_default_str();
  add_repeatable(cmd, "--api-key", a->api_keys, "Accepted bearer key (repeatable)");
  cmd->add_option("--api-keys-file", a->api_keys_file, "File with one accepted key per line")
      ->check(CLI::ExistingFile);
  add_repeatable(
      cmd, "--pack", a->packs,
      "Filter pack: built-in name (safety: the learned classifier), JSON file or pack folder "
      "(repeatable; default: the pattern packs)");
  cmd->add_flag("--no-filters", a->no_filters, "Serve without the safety filters");
  cmd->add_option("--max-queue", a->options.max_queue, "Waiting requests before 429")
      ->capture_default_str();
  cmd->add_option("--max-batch", a->options.max_batch, "Requests decoded together")
      ->capture_default_str();
  cmd->add_option("--max-tokens", a->options.max_tokens, "Most tokens per completion")
      ->capture_default_str();
  cmd->add_option("--max-context", a->options.max_context,
                  "Tokens one request may span, prompt and answer (the KV cache holds this many "
                  "per row; default: the model's context, at most 4096)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-n", a->options.max_n, "Most choices per request (n)")
      ->capture_default_str()
      ->check(CLI::Range(1, 128));
  cmd->add_option("--max-body-bytes", a->options.max_body_bytes, "Largest request body (413 above)")
      ->capture_default_str();
  auto& limits = a->options.connections;
  cmd->add_option("--max-connections", limits.max_connections,
                  "Open connections in all (503 with Retry-After above)")
      ->capture_default_str();
  cmd->add_option("--max-connections-per-client", limits.max_connections_per_client,
                  "Open connections from one client address (503 above)")
      ->capture_default_str();
  cmd->add_option("--header-timeout", limits.header_timeout_s,
                  "Seconds from a request's first byte to the end of its headers")
      ->capture_default_str();
  cmd->add_option("--body-timeout", limits.body_timeout_s,
                  "Longest pause in seconds while a request body arrives")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", limits.idle_timeout_s,
                  "Seconds a kept-alive connection may wait for its next request")
      ->capture_default_str();
  cmd->add_option("--send-timeout", limits.send_timeout_s,
                  "Longest pause in seconds while a client reads a response")
      ->capture_default_str();
  cmd->add_option("--precision", a->precision, "Compute precision")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  cmd->add_option("--weights", a->weights, kWeightsHelp)
      ->check(CLI::IsMember({"f32", "bf16", "q8_0"}));
  cmd->add_option("--kv-cache", a->kv_cache, kKvCacheHelp)
      ->check(CLI::IsMember({"f32", "f16"}))
      ->capture_default_str();
  cmd->add_option("--device", a->options.device, kDeviceHelp)->capture_default_str();
  cmd->add_option("--threads", a->threads,
                  "Compute threads; 0: OMP_NUM_THREADS if set, else every core")
      ->capture_default_str();
  cmd->add_option("--label-db", a->options.label_db,
                  "Also serve the labeling routes (/label) on this database");
  cmd->add_option("--annotators", a->annotators_file, "With --label-db: \"name key\" per line")
      ->check(CLI::ExistingFile);
  cmd->add_option("--admin-key", a->options.label_admin_key,
                  "The admin key: the labeling admin routes, and every key's files, jobs and "
                  "fine-tuned models");
  cmd->add_option("--data-dir", a->options.data_dir,
                  "Also serve the files and fine-tuning APIs, keeping files, jobs and models here");
  cmd->add_option("--max-upload-bytes", a->options.max_upload_bytes,
                  "Largest file upload (413 above)")
      ->capture_default_str();
  add_repeatable(cmd, "--job-set", a->options.job_settings,
                 "A run key for every fine-tuning job: key=value (repeatable), e.g. --job-set "
                 "precision=bf16 --job-set lora.r=16");
  cmd->callback([a] { run_serve(*a); });
}

}  // namespace chosei::cli
