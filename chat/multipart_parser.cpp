#include "chat/multipart_parser.h"

#include "chat/header_text.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

namespace chosei {

namespace {

constexpr std::size_t kMaxPartHead = 16 << 10;

// `value; a=b; c="d;e"` -> {"": value, a: b, c: "d;e"} (names lowercased, quotes undone).
std::map<std::string, std::string> parameters(const std::string& header) {
  std::map<std::string, std::string> out;
  std::size_t at = header.find(';');
  out[""] = ascii_lower(trim_ows(header.substr(0, at)));
  while (at != std::string::npos && at < header.size()) {
    ++at;
    const auto eq = header.find('=', at);
    if (eq == std::string::npos) break;
    const auto name = ascii_lower(trim_ows(header.substr(at, eq - at)));
    std::size_t i = eq + 1;
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
    std::string value;
    if (i < header.size() && header[i] == '"') {
      for (++i; i < header.size() && header[i] != '"'; ++i) {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value += header[i];
      }
      at = header.find(';', i);
    } else {
      at = header.find(';', i);
      value = trim_ows(header.substr(i, at == std::string::npos ? std::string::npos : at - i));
    }
    out[name] = value;
  }
  return out;
}

// RFC 8187 ext-value: charset'language'percent-encoded.
std::string ext_value(const std::string& v) {
  const auto q = v.find('\'', v.find('\'') + 1);
  const std::string enc = q == std::string::npos ? v : v.substr(q + 1);
  std::string out;
  for (std::size_t i = 0; i < enc.size(); ++i) {
    if (enc[i] == '%' && i + 2 < enc.size() &&
        std::isxdigit(static_cast<unsigned char>(enc[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(enc[i + 2]))) {
      out += static_cast<char>(std::stoi(enc.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += enc[i];
    }
  }
  return out;
}

}  // namespace

MultipartParser::MultipartParser(const std::string& content_type,
                                 std::function<bool(const UploadPart&)> on_part,
                                 std::function<bool(const char*, std::size_t)> on_data)
    : on_part_(std::move(on_part)), on_data_(std::move(on_data)) {
  const auto p = parameters(content_type);
  if (p.at("") != "multipart/form-data")
    throw std::invalid_argument(
        "the body is not multipart/form-data (Content-Type: " + content_type + ")");
  const auto b = p.find("boundary");
  if (b == p.end() || b->second.empty() || b->second.size() > 70)
    throw std::invalid_argument("multipart/form-data without a valid boundary");
  delimiter_ = "\r\n--" + b->second;
}

bool MultipartParser::fail(const std::string& why) {
  if (error_.empty()) error_ = why;
  state_ = State::kFailed;
  return false;
}

bool MultipartParser::start_part(const std::string& head) {
  UploadPart part;
  bool disposition = false;
  std::size_t at = 0;
  while (at < head.size()) {
    auto nl = head.find("\r\n", at);
    if (nl == std::string::npos) nl = head.size();
    const auto line = head.substr(at, nl - at);
    at = nl + 2;
    const auto colon = line.find(':');
    if (colon == std::string::npos) return fail("malformed part header: \"" + line + "\"");
    const auto name = ascii_lower(trim_ows(line.substr(0, colon)));
    const auto value = trim_ows(line.substr(colon + 1));
    if (name == "content-disposition") {
      auto p = parameters(value);
      if (p[""] != "form-data") return fail("a part's Content-Disposition is not form-data");
      disposition = true;
      part.name = p["name"];
      part.filename = p.count("filename")    ? p["filename"]
                      : p.count("filename*") ? ext_value(p["filename*"])
                                             : "";
    } else if (name == "content-type") {
      part.content_type = value;
    }
  }
  if (!disposition) return fail("a part without Content-Disposition");
  if (!on_part_(part)) return fail("stopped");
  return true;
}

bool MultipartParser::step() {
  const auto keep = delimiter_.size() - 1;  // a delimiter may straddle two pieces
  switch (state_) {
    case State::kPreamble: {
      const auto d = buffer_.find(delimiter_);
      if (d == std::string::npos) {
        if (buffer_.size() > keep) buffer_.erase(0, buffer_.size() - keep);
        return false;
      }
      buffer_.erase(0, d + delimiter_.size());
      state_ = State::kAfterDelimiter;
      return true;
    }
    case State::kAfterDelimiter: {
      if (buffer_.size() < 2) return false;
      if (buffer_.compare(0, 2, "--") == 0) {
        state_ = State::kEpilogue;
        return true;
      }
      const auto crlf = buffer_.find("\r\n");
      if (crlf == std::string::npos)
        return buffer_.size() > 256 && fail("malformed delimiter line");
      if (!trim_ows(buffer_.substr(0, crlf)).empty()) return fail("malformed delimiter line");
      buffer_.erase(0, crlf + 2);
      state_ = State::kPartHead;
      return true;
    }
    case State::kPartHead: {
      if (buffer_.compare(0, 2, "\r\n") == 0) return fail("a part without Content-Disposition");
      const auto end = buffer_.find("\r\n\r\n");
      if (end == std::string::npos)
        return buffer_.size() > kMaxPartHead && fail("a part's header is too large");
      const auto head = buffer_.substr(0, end);
      buffer_.erase(0, end + 4);
      if (!start_part(head)) return false;
      state_ = State::kData;
      return true;
    }
    case State::kData: {
      const auto d = buffer_.find(delimiter_);
      const auto emit =
          d == std::string::npos ? (buffer_.size() > keep ? buffer_.size() - keep : 0) : d;
      if (emit > 0 && !on_data_(buffer_.data(), emit)) return fail("stopped");
      buffer_.erase(0, emit);
      if (d == std::string::npos) return false;
      buffer_.erase(0, delimiter_.size());
      state_ = State::kAfterDelimiter;
      return true;
    }
    case State::kEpilogue:
      buffer_.clear();
      return false;
    case State::kFailed:
      return false;
  }
  return false;
}

bool MultipartParser::feed(const char* data, std::size_t n) {
  if (state_ == State::kFailed) return false;
  buffer_.append(data, n);
  while (step()) {
  }
  return state_ != State::kFailed;
}

bool MultipartParser::finish() {
  if (state_ == State::kFailed) return false;
  if (state_ != State::kEpilogue) return fail("the body ends before the closing boundary");
  return true;
}

}  // namespace chosei
