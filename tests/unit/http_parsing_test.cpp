// The request and multipart parsers against hand-written messages (RFC 9112 and RFC 7578
// examples), fed whole and one byte at a time: the result must not depend on how the bytes
// arrive.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chat/http_request_parser.h"
#include "chat/multipart_parser.h"

namespace chosei {
namespace {

struct Parsed {
  HttpRequestHead head;
  std::string body;
  std::size_t consumed = 0;
};

Parsed parse(const std::string& bytes, std::size_t piece) {
  HttpRequestParser p;
  Parsed out;
  auto sink = [&](const char* d, std::size_t n) {
    out.body.append(d, n);
    return true;
  };
  while (out.consumed < bytes.size() && p.state() != HttpRequestParser::State::kComplete) {
    const auto n = std::min(piece, bytes.size() - out.consumed);
    const auto used = p.feed(bytes.data() + out.consumed, n, sink);
    out.consumed += used;
    if (used == 0 && p.state() != HttpRequestParser::State::kComplete) ADD_FAILURE() << "stuck";
    if (used == 0) break;
  }
  EXPECT_EQ(p.state(), HttpRequestParser::State::kComplete);
  out.head = p.head();
  return out;
}

TEST(HttpRequestParser, ContentLengthAndChunkedBodiesWholeOrByteByByte) {
  const std::string next = "GET /next HTTP/1.1\r\n\r\n";
  const std::string fixed =
      "POST /v1/files?a=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + next;
  const std::string chunked =
      "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: t\r\n\r\n" +
      next;
  for (std::size_t piece : {std::size_t(1), std::size_t(7), std::size_t(1) << 20}) {
    const auto a = parse(fixed, piece);
    EXPECT_EQ(a.head.method, "POST");
    EXPECT_EQ(a.head.target, "/v1/files?a=1");
    EXPECT_EQ(a.head.header("host"), "x");
    EXPECT_EQ(a.body, "hello");
    EXPECT_EQ(a.consumed, fixed.size() - next.size());  // the next request is left alone
    EXPECT_TRUE(a.head.keep_alive);
    const auto b = parse(chunked, piece);
    EXPECT_TRUE(b.head.chunked);
    EXPECT_EQ(b.body, "Wikipedia in\r\n\r\nchunks.");  // RFC 9112 7.1's example
    EXPECT_EQ(b.consumed, chunked.size() - next.size());
  }
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n", 3).head.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 3).head.keep_alive);
  EXPECT_TRUE(parse("PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx", 2)
                  .head.expects_continue);
}

int status_of(const std::string& bytes) {
  HttpRequestParser p;
  try {
    for (std::size_t at = 0, used = 1; at < bytes.size() && used > 0; at += used)
      used = p.feed(bytes.data() + at, bytes.size() - at,
                    [](const char*, std::size_t) { return true; });
  } catch (const HttpParseError& e) {
    return e.status;
  }
  return 0;
}

TEST(HttpRequestParser, MalformedRequestsGetTheirStatus) {
  EXPECT_EQ(status_of("GARBAGE\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nX: " + std::string(70000, 'a') + "\r\n\r\n"), 431);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), 400);
}

struct Part {
  UploadPart head;
  std::string data;
};

std::vector<Part> multipart(const std::string& type, const std::string& body, std::size_t piece,
                            bool* finished) {
  std::vector<Part> parts;
  MultipartParser p(
      type,
      [&](const UploadPart& h) {
        parts.push_back({h, ""});
        return true;
      },
      [&](const char* d, std::size_t n) {
        parts.back().data.append(d, n);
        return true;
      });
  for (std::size_t at = 0; at < body.size(); at += piece)
    EXPECT_TRUE(p.feed(body.data() + at, std::min(piece, body.size() - at))) << p.error();
  *finished = p.finish();
  return parts;
}

TEST(MultipartParser, PartsAndTheirBytesWholeOrByteByByte) {
  const std::string type = "multipart/form-data; boundary=\"AaB03x\"";
  const std::string body =
      "preamble\r\n--AaB03x\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune"
      "\r\n--AaB03x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a "
      "\\\"b\\\".jsonl\""
      "\r\nContent-Type: application/jsonl\r\n\r\nline1\r\n--AaB03 not yet\r\nline2\r\n"
      "\r\n--AaB03x--\r\nepilogue";
  for (std::size_t piece : {std::size_t(1), std::size_t(5), std::size_t(4096)}) {
    bool finished = false;
    const auto parts = multipart(type, body, piece, &finished);
    EXPECT_TRUE(finished);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].head.name, "purpose");
    EXPECT_EQ(parts[0].data, "fine-tune");
    EXPECT_EQ(parts[1].head.name, "file");
    EXPECT_EQ(parts[1].head.filename, "a \"b\".jsonl");
    EXPECT_EQ(parts[1].head.content_type, "application/jsonl");
    EXPECT_EQ(parts[1].data, "line1\r\n--AaB03 not yet\r\nline2\r\n");
  }
  bool finished = true;
  multipart(type, "--AaB03x\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ncut", 3,
            &finished);
  EXPECT_FALSE(finished);  // no closing delimiter
  EXPECT_THROW(MultipartParser("application/json", nullptr, nullptr), std::invalid_argument);
  EXPECT_THROW(MultipartParser("multipart/form-data", nullptr, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace chosei
