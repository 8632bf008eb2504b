#pragma once
// The OpenAI-compatible HTTP server: composes the transport (chat/http_transport.h), the
// model registry, the filters and the routes: POST /v1/chat/completions (JSON or
// server-sent events), GET /v1/models, /health, /metrics and the web chat page at /. Every
// API route checks the bearer key; SIGTERM-style stop() drains.

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/precision.h"
#include "filters/filter_engine.h"

namespace chosei {

struct ChatServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::vector<std::pair<std::string, std::string>> models;  // name, directory
  std::set<std::string> api_keys;                           // empty: no authentication
  std::vector<std::string> packs;                           // empty: every built-in pack
  bool filters = true;
  std::size_t max_queue = 64;
  std::int64_t max_batch = 8;
  std::int64_t max_tokens = 1024;        // per request, and the default
  std::size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  Precision precision = Precision::kFP32;
  // Labeling (chat/label_routes.h): the database, annotator keys (key -> name), admin key.
  std::string label_db;  // empty: no labeling routes
  std::map<std::string, std::string> annotators;
  std::string label_admin_key;
  double label_lease_seconds = 600;
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
