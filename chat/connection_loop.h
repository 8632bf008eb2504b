#pragma once
// ConnectionLoop: every client connection of the HTTP server on one epoll thread. It reads
// request heads and bodies as bytes arrive (a stalled client costs a buffer, never a thread),
// enforces the timeouts and connection limits, hands complete requests to the server's
// answering threads and writes their responses back, streamed ones included.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "chat/http_request_parser.h"
#include "chat/response_outbox.h"

namespace chosei {

struct ConnectionLimits {
  double header_timeout_s = 10;  // from a request's first byte to the end of its head
  double body_timeout_s = 30;    // the longest pause while a body arrives
  double idle_timeout_s = 15;    // a kept-alive connection waiting for its next request
  double send_timeout_s = 30;    // the longest a client may leave a response unread
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_client = 64;  // by client address
  std::string spool_dir;                        // where spooled bodies wait ("": the temp dir)
};

struct ConnectionStats {
  std::size_t open = 0, reading = 0, idle = 0, handling = 0;
  std::int64_t accepted = 0, refused = 0, timed_out = 0;
};

// What the server makes of a request from its head.
struct HeadVerdict {
  int refuse_status = 0;  // answer at once with this (e.g. 413), without reading the body
  std::string refuse_detail;
  std::size_t body_limit = 0;  // a longer body (chunked, so unknown up front) is refused 413
  std::string limit_detail;
  bool spool = false;  // the body goes to a file (uploads), not memory
};

// A request read whole: the head, and the body in memory or in a spooled file.
struct ReadRequest {
  HttpRequestHead head;
  std::string peer;  // the client's address
  std::string body;
  int spool_fd = -1;  // owned by the receiver, positioned anywhere; -1: the body is in `body`
  // A spooled body cut at the limit (chunked, so its length was not known): the handler sees
  // the first body_limit bytes and should refuse it in its own words; the connection closes.
  bool truncated = false;
};

class ConnectionLoop {
 public:
  struct Handlers {
    std::function<HeadVerdict(const HttpRequestHead&)> on_head;
    // Answers on another thread: appends the response to the outbox, finishes it and calls
    // `wake` after every append so the loop sends it.
    std::function<void(ReadRequest, std::shared_ptr<ResponseOutbox>, std::function<void()> wake)>
        dispatch;
    // The bytes of an error response the loop sends itself (400, 413, 431, 503 ...).
    std::function<std::string(int status, const std::string& detail)> error_response;
  };

  ConnectionLoop(ConnectionLimits limits, Handlers handlers);
  ~ConnectionLoop();

  // Binds and returns the port (port 0: any free one); throws std::runtime_error.
  int bind(const std::string& host, int port);
  void run();   // until stop()
  void stop();  // from any thread
  ConnectionStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chosei
