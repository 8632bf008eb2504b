#pragma once
// HttpServer: the HTTP/1.1 transport under every route. Routes see plain requests and fill
// plain responses, either whole or streamed through a sink; the connections themselves (reading,
// timeouts, limits, keep-alive) are the ConnectionLoop's.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chat/connection_loop.h"

namespace chosei {

struct HttpRequest {
  std::string method, path, body, remote_addr;
  std::multimap<std::string, std::string> headers;  // names as sent
  std::multimap<std::string, std::string> query;    // decoded ?name=value pairs
  std::vector<std::string> path_params;             // the route pattern's (...) groups
  // The first value of header `name` (case-insensitive), "" when absent.
  std::string header(const std::string& name) const;
  // The first value of query parameter `name`, or `fallback`.
  std::string query_value(const std::string& name, const std::string& fallback = "") const;
};

// One part of a multipart/form-data body as it starts: its field name, and the file name and
// content type a file part was sent with.
struct UploadPart {
  std::string name, filename, content_type;
};

// Reads a multipart/form-data request body part by part without holding it: `part` is called
// as each part starts, `data` with its bytes in order. Either returning false stops reading
// (the response should then say why; the connection is closed). Returns false when reading
// stopped early or the body was not well-formed multipart.
using MultipartReader =
    std::function<bool(const std::function<bool(const UploadPart&)>& part,
                       const std::function<bool(const char*, std::size_t)>& data)>;

// Where a streamed response writes. write() returns false once the client is gone.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual bool write(const std::string& data) = 0;
  virtual void done() = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json", body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for a streamed (chunked) response: called until it returns false or calls
  // sink.done(); `stream_finished(success)` runs once when the stream is over, sent or not.
  std::function<bool(StreamSink&)> stream;
  std::function<void(bool success)> stream_finished;
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;
using UploadHandler =
    std::function<void(const HttpRequest&, HttpResponse&, const MultipartReader& read_body)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                       // 0: any free port
  std::size_t max_body_bytes = 1 << 20;  // larger bodies get 413 before a handler runs
  std::size_t max_upload_bytes = 0;      // the limit of post_upload routes (0: max_body_bytes)
  // Requests answered at once. A request reaches one of these threads only when it has been
  // read whole (uploads wait in a file under `connections.spool_dir`), so slow clients never
  // hold one; waiting for a model and streaming its answer does.
  std::size_t threads = 8;
  ConnectionLimits connections;  // timeouts, open connections in all and per client address
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();

  // `path` is matched whole as a regular expression; its (...) groups are path_params.
  void get(const std::string& path, HttpHandler handler);
  void post(const std::string& path, HttpHandler handler);
  void del(const std::string& path, HttpHandler handler);
  // A POST whose multipart body the handler streams (max_upload_bytes, not max_body_bytes).
  void post_upload(const std::string& path, UploadHandler handler);
  // Fills the body of responses the transport itself produces (404 for no route, 413).
  void on_transport_error(std::function<void(HttpResponse&)> fill);

  // Binds and returns the port; throws std::runtime_error naming host and port.
  int bind();
  // Open connections by what they are doing, and the counts of refused and timed-out ones.
  ConnectionStats connection_stats() const;
  // Serves until stop().
  void listen();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chosei
