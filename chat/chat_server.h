#pragma once
// The OpenAI-compatible HTTP server: composes the transport (chat/http_transport.h), the
// model registry, the filters and the routes: POST /v1/chat/completions (JSON or
// server-sent events), GET /v1/models, /health, /metrics and the web chat page at /; with a
// data directory the files and fine-tuning APIs and their job queue. Every API route checks
// the bearer key; SIGTERM-style stop() drains (a running job is stopped, resumed next start).

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/precision.h"
#include "chat/connection_loop.h"
#include "filters/filter_engine.h"

namespace chosei {

struct ChatServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::vector<std::pair<std::string, std::string>> models;  // name, directory
  std::string chat_template;       // for those models: a built-in's name or a Jinja file; "": own
  std::set<std::string> api_keys;  // empty: no authentication
  std::vector<std::string> packs;  // empty: every built-in pack
  bool filters = true;
  std::size_t max_queue = 64;
  std::int64_t max_batch = 8;
  std::int64_t max_tokens = 1024;        // per request, and the default
  std::int64_t max_context = 0;          // tokens a request may span (DecodingLimits::max_context)
  std::int64_t max_n = 8;                // choices per request (`n`)
  std::size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  ConnectionLimits connections;          // timeouts and open-connection limits (503 above)
  Precision precision = Precision::kFP32;
  std::string weights;           // "" (the precision's), "f32", "bf16" or "q8_0" (`--weights`)
  std::string kv_cache = "f32";  // "f32" or "f16" (`--kv-cache`)
  std::string device = "cpu";    // "cpu", "cuda" or "cuda:N" (`--device`)
  // Labeling (chat/label_routes.h): the database, annotator keys (key -> name), admin key.
  std::string label_db;  // empty: no labeling routes
  std::map<std::string, std::string> annotators;
  std::string label_admin_key;  // also the API's admin key: every owner's files and jobs
  double label_lease_seconds = 600;
  // Fine-tuning (chat/files_routes.h, chat/fine_tuning_routes.h): the data directory
  // (finetune.db, files/, jobs/), the upload limit, the chosei executable jobs run in.
  std::string data_dir;  // empty: no files or fine-tuning routes
  std::size_t max_upload_bytes = std::size_t(512) << 20;
  std::string program;
  std::vector<std::string> job_settings;  // run keys for every fine-tuning job
};

class ChatServer {
 public:
  explicit ChatServer(ChatServerOptions options);
  ~ChatServer();
  // Binds, prints "listening on http://H:P", serves until stop(). Returns the bound port.
  void run(const std::function<void(int port)>& on_listening = {});
  // Loads another model and serves it under `name` from the next request on.
  void add_model(const std::string& name, const std::string& dir);
  // Graceful: refuses new requests (503), lets in-flight ones finish, then returns from run().
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chosei
