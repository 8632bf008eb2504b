#include "chat/http_request_parser.h"

#include "chat/header_text.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <vector>

namespace chosei {

namespace {

// RFC 9110 5.6.2: a header name is a token.
bool is_token(const std::string& s) {
  static const char* kSpecials = "\"(),/:;<=>?@[\\]{}";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 32 && u < 127 && !std::strchr(kSpecials, c);
  });
}

std::size_t parse_content_length(const std::string& v) {
  if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw HttpParseError(400, "Content-Length is not a number: \"" + v + "\"");
  if (v.size() > 18) throw HttpParseError(413, "Content-Length " + v + " is too large");
  return static_cast<std::size_t>(std::stoull(v));
}

// Comma-separated tokens of a list header, lowercased.
bool list_has(const std::string& value, const std::string& token) {
  std::size_t at = 0;
  while (at <= value.size()) {
    const auto comma = value.find(',', at);
    const auto end = comma == std::string::npos ? value.size() : comma;
    if (ascii_lower(trim_ows(value.substr(at, end - at))) == token) return true;
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return false;
}

}  // namespace

std::string HttpRequestHead::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (iequals_ascii(k, name)) return v;
  return "";
}

void HttpRequestParser::reset() { *this = HttpRequestParser(); }

std::size_t HttpRequestParser::feed(const char* data, std::size_t n,
                                    const std::function<bool(const char*, std::size_t)>& body) {
  if (n > 0) started_ = true;
  if (state_ == State::kHead) return feed_head(data, n);
  if (state_ == State::kBody) return feed_body(data, n, body);
  return 0;
}

std::size_t HttpRequestParser::feed_head(const char* data, std::size_t n) {
  // Empty lines before the request line are ignored (RFC 9112 2.2).
  std::size_t used = 0;
  while (head_bytes_.empty() && used < n && (data[used] == '\r' || data[used] == '\n')) ++used;
  const std::size_t before = head_bytes_.size();
  const std::size_t room = kMaxHeadBytes + 4 - std::min(before, kMaxHeadBytes + 4);
  const std::size_t take = std::min(n - used, room);
  head_bytes_.append(data + used, take);
  // The head ends at the first empty line; search from a little before the new bytes.
  const auto from = before > 3 ? before - 3 : 0;
  std::size_t end = std::string::npos, end_len = 0;
  for (std::size_t i = from; i < head_bytes_.size(); ++i) {
    if (head_bytes_.compare(i, 4, "\r\n\r\n") == 0) {
      end = i, end_len = 4;
      break;
    }
    if (head_bytes_.compare(i, 2, "\n\n") == 0) {
      end = i, end_len = 2;
      break;
    }
  }
  if (end == std::string::npos) {
    if (head_bytes_.size() > kMaxHeadBytes)
      throw HttpParseError(
          431, "the request head is larger than " + std::to_string(kMaxHeadBytes) + " bytes");
    return used + take;
  }
  const std::size_t consumed = used + (end + end_len - before);
  head_bytes_.resize(end);
  parse_head();
  state_ = head_.chunked || head_.content_length > 0 ? State::kBody : State::kComplete;
  return consumed;
}

void HttpRequestParser::parse_head() {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at <= head_bytes_.size()) {
    auto nl = head_bytes_.find('\n', at);
    if (nl == std::string::npos) nl = head_bytes_.size();
    std::string line = head_bytes_.substr(at, nl - at);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    at = nl + 1;
  }
  const auto& rl = lines.front();
  const auto s1 = rl.find(' '), s2 = rl.rfind(' ');
  if (s1 == std::string::npos || s2 == s1) throw HttpParseError(400, "malformed request line");
  head_.method = rl.substr(0, s1);
  head_.target = rl.substr(s1 + 1, s2 - s1 - 1);
  head_.version = rl.substr(s2 + 1);
  if (!is_token(head_.method) || head_.target.empty() ||
      head_.target.find(' ') != std::string::npos)
    throw HttpParseError(400, "malformed request line");
  if (head_.version != "HTTP/1.1" && head_.version != "HTTP/1.0")
    throw HttpParseError(505, "HTTP version not supported: " + head_.version);
  if (lines.size() - 1 > kMaxHeaderFields)
    throw HttpParseError(431, "more than " + std::to_string(kMaxHeaderFields) + " header fields");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto& line = lines[i];
    if (line.empty() || line[0] == ' ' || line[0] == '\t')
      throw HttpParseError(400, "obsolete line folding in the header fields");
    const auto colon = line.find(':');
    if (colon == std::string::npos || !is_token(line.substr(0, colon)))
      throw HttpParseError(400, "malformed header field: \"" + line.substr(0, 80) + "\"");
    head_.headers.emplace(line.substr(0, colon), trim_ows(line.substr(colon + 1)));
  }
  const auto te = head_.header("Transfer-Encoding");
  std::string length;
  for (const auto& [k, v] : head_.headers)
    if (iequals_ascii(k, "Content-Length")) {
      if (!length.empty() && length != v) throw HttpParseError(400, "conflicting Content-Length");
      length = v;
    }
  if (!te.empty()) {
    // Both framings at once is how requests are smuggled (RFC 9112 6.3): refuse it.
    if (!length.empty()) throw HttpParseError(400, "both Transfer-Encoding and Content-Length");
    if (ascii_lower(trim_ows(te)) != "chunked")
      throw HttpParseError(501, "Transfer-Encoding not supported: " + te);
    head_.chunked = true;
  } else if (!length.empty()) {
    head_.content_length = parse_content_length(length);
  }
  const auto connection = head_.header("Connection");
  head_.keep_alive = head_.version == "HTTP/1.1" ? !list_has(connection, "close")
                                                 : list_has(connection, "keep-alive");
  head_.expects_continue = iequals_ascii(trim_ows(head_.header("Expect")), "100-continue");
}

std::size_t HttpRequestParser::feed_body(
    const char* data, std::size_t n, const std::function<bool(const char*, std::size_t)>& body) {
  if (head_.chunked) return feed_chunked(data, n, body);
  const std::size_t take = std::min(n, head_.content_length - body_bytes_);
  if (take > 0 && !stopped_ && !body(data, take)) stopped_ = true;
  body_bytes_ += take;
  if (body_bytes_ == head_.content_length) state_ = State::kComplete;
  return take;
}

// Appends to line_ up to and including '\n'; true when a whole line is in line_.
bool HttpRequestParser::line_from(const char* data, std::size_t n, std::size_t& used) {
  while (used < n) {
    const char c = data[used++];
    if (c == '\n') {
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      return true;
    }
    line_ += c;
    if (line_.size() > 4096) throw HttpParseError(400, "a chunk-size or trailer line is too long");
  }
  return false;
}

std::size_t HttpRequestParser::feed_chunked(
    const char* data, std::size_t n, const std::function<bool(const char*, std::size_t)>& body) {
  std::size_t used = 0;
  while (used < n && state_ == State::kBody) {
    switch (chunk_state_) {
      case ChunkState::kSize: {
        if (!line_from(data, n, used)) break;
        const auto hex = trim_ows(line_.substr(0, line_.find(';')));
        line_.clear();
        if (hex.empty() || hex.size() > 15 || !std::all_of(hex.begin(), hex.end(), [](char c) {
              return std::isxdigit(static_cast<unsigned char>(c));
            }))
          throw HttpParseError(400, "malformed chunk size: \"" + hex + "\"");
        chunk_left_ = static_cast<std::size_t>(std::stoull(hex, nullptr, 16));
        chunk_state_ = chunk_left_ == 0 ? ChunkState::kTrailer : ChunkState::kData;
        break;
      }
      case ChunkState::kData: {
        const std::size_t take = std::min(n - used, chunk_left_);
        if (take > 0 && !stopped_ && !body(data + used, take)) stopped_ = true;
        used += take, chunk_left_ -= take, body_bytes_ += take;
        if (chunk_left_ == 0) chunk_state_ = ChunkState::kDataEnd;
        break;
      }
      case ChunkState::kDataEnd:
        if (!line_from(data, n, used)) break;
        if (!line_.empty()) throw HttpParseError(400, "chunk data longer than its size");
        chunk_state_ = ChunkState::kSize;
        break;
      case ChunkState::kTrailer:
        if (!line_from(data, n, used)) break;
        if (line_.empty()) state_ = State::kComplete;  // trailer fields are read and dropped
        line_.clear();
        break;
    }
  }
  return used;
}

}  // namespace chosei
