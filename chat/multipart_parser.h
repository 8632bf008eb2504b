#pragma once
// MultipartParser: a multipart/form-data body (RFC 7578, framing from RFC 2046 5.1) read in
// pieces of any size without holding it: each part's name, file name and content type as the
// part starts, then its bytes in order.

#include <cstddef>
#include <functional>
#include <string>

#include "chat/http_transport.h"

namespace chosei {

class MultipartParser {
 public:
  // `content_type`: the request's Content-Type; throws std::invalid_argument when it is not
  // multipart/form-data with a boundary.
  MultipartParser(const std::string& content_type, std::function<bool(const UploadPart&)> on_part,
                  std::function<bool(const char*, std::size_t)> on_data);

  // False once a callback said stop or the body is malformed (then error() says why).
  bool feed(const char* data, std::size_t n);
  // True when the closing delimiter was seen and nothing went wrong.
  bool finish();
  const std::string& error() const { return error_; }

 private:
  enum class State { kPreamble, kAfterDelimiter, kPartHead, kData, kEpilogue, kFailed };
  bool step();
  bool fail(const std::string& why);
  bool start_part(const std::string& head);

  std::string delimiter_;  // "\r\n--" + boundary
  std::function<bool(const UploadPart&)> on_part_;
  std::function<bool(const char*, std::size_t)> on_data_;
  std::string buffer_ = "\r\n";  // the first delimiter has no CRLF before it: lend it one
  State state_ = State::kPreamble;
  std::string error_;
};

}  // namespace chosei
