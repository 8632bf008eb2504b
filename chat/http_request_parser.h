#pragma once
// HttpRequestParser: one HTTP/1.1 request read incrementally from the bytes a connection
// delivers (RFC 9112): the request line, the header fields, then a body framed by
// Content-Length or chunked transfer coding. No sockets and no allocation beyond the head, so
// the event loop can feed it whatever arrived and a stalled client costs a buffer, not a thread.

#include <cstddef>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>

namespace chosei {

// A request that cannot be served as sent; `status` is the answer (400, 411, 431, 501, 505).
struct HttpParseError : std::runtime_error {
  HttpParseError(int status, const std::string& what) : std::runtime_error(what), status(status) {}
  int status;
};

struct HttpRequestHead {
  std::string method, target, version;              // as on the request line
  std::multimap<std::string, std::string> headers;  // names as sent
  bool chunked = false;
  std::size_t content_length = 0;  // when not chunked
  bool keep_alive = true;          // HTTP/1.1 unless "Connection: close"; 1.0 only when asked
  bool expects_continue = false;   // "Expect: 100-continue"
  // The first value of header `name` (case-insensitive), "" when absent.
  std::string header(const std::string& name) const;
};

class HttpRequestParser {
 public:
  enum class State { kHead, kBody, kComplete };
  static constexpr std::size_t kMaxHeadBytes = 64 << 10;
  static constexpr std::size_t kMaxHeaderFields = 100;

  // Consumes bytes from `data` and returns how many it took: it stops at the end of the head
  // (so the caller can decide about the body from it), at the end of the request (what follows
  // belongs to the next one) and never reads past either. Body bytes go to `body` (false stops
  // the request; feed() then returns what it consumed). Throws HttpParseError.
  std::size_t feed(const char* data, std::size_t n,
                   const std::function<bool(const char*, std::size_t)>& body);

  State state() const { return state_; }
  bool started() const { return started_; }  // any byte of this request seen
  const HttpRequestHead& head() const { return head_; }
  std::size_t body_bytes() const { return body_bytes_; }
  bool stopped() const { return stopped_; }  // the body callback said stop
  void reset();                              // for the next request on a kept-alive connection

 private:
  enum class ChunkState { kSize, kData, kDataEnd, kTrailer };
  std::size_t feed_head(const char* data, std::size_t n);
  void parse_head();
  std::size_t feed_body(const char* data, std::size_t n,
                        const std::function<bool(const char*, std::size_t)>& body);
  std::size_t feed_chunked(const char* data, std::size_t n,
                           const std::function<bool(const char*, std::size_t)>& body);
  bool line_from(const char* data, std::size_t n, std::size_t& used);

  State state_ = State::kHead;
  ChunkState chunk_state_ = ChunkState::kSize;
  bool started_ = false;
  std::string head_bytes_, line_;
  HttpRequestHead head_;
  std::size_t body_bytes_ = 0, chunk_left_ = 0;
  bool stopped_ = false;
};

}  // namespace chosei
