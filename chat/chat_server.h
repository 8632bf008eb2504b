#pragma once
// The OpenAI-compatible HTTP server: POST /v1/chat/completions (JSON or server-sent events),
// GET /v1/models, /health and /metrics. Each model has its own GenerationLoop; user
// messages pass the input filters before the model sees them and generated text passes the
// streaming output filter before the client does.

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "filters/filter_engine.h"
#include "model/precision.h"

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
};

class ChatServer {
 public:
  explicit ChatServer(ChatServerOptions options);
  ~ChatServer();
  // Binds, prints "listening on http://H:P", serves until stop(). Returns the bound port.
  void run(const std::function<void(int port)>& on_listening = {});
  // Graceful: refuses new requests (503), lets in-flight ones finish, then returns from run().
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chosei
