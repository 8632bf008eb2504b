#include "chat/http_transport.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <stdexcept>

#include "base/worker_pool.h"
#include "chat/header_text.h"
#include "chat/multipart_parser.h"

namespace chosei {

namespace {

// Room for the form fields beside an upload's file (the file part itself is the handler's
// to limit, so its message can name the limit).
constexpr std::size_t kUploadFieldAllowance = 64 << 10;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::string percent_decode(const std::string& s, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += plus_is_space && s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

std::string decoded_path(const std::string& target) {
  return percent_decode(target.substr(0, target.find('?')), false);
}

std::multimap<std::string, std::string> query_of(const std::string& target) {
  std::multimap<std::string, std::string> q;
  const auto mark = target.find('?');
  if (mark == std::string::npos) return q;
  const auto s = target.substr(mark + 1);
  std::size_t at = 0;
  while (at < s.size()) {
    auto amp = s.find('&', at);
    if (amp == std::string::npos) amp = s.size();
    const auto pair = s.substr(at, amp - at);
    const auto eq = pair.find('=');
    if (!pair.empty())
      q.emplace(percent_decode(pair.substr(0, eq), true),
                eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1), true));
    at = amp + 1;
  }
  return q;
}

const char* reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return status < 400 ? "OK" : status < 500 ? "Bad Request" : "Server Error";
  }
}

// The status line and header fields; the framing fields are the transport's, not the route's.
std::string head_of(const HttpResponse& r, bool close, bool chunked) {
  std::string h = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
  for (const auto& [k, v] : r.headers)
    if (!iequals_ascii(k, "Connection") && !iequals_ascii(k, "Content-Length") &&
        !iequals_ascii(k, "Transfer-Encoding"))
      h += k + ": " + v + "\r\n";
  h += "Content-Type: " + r.content_type + "\r\n";
  h += chunked ? std::string("Transfer-Encoding: chunked\r\n")
               : "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  h += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
  return h;
}

bool asks_close(const HttpResponse& r) {
  return std::any_of(r.headers.begin(), r.headers.end(), [](const auto& kv) {
    return iequals_ascii(kv.first, "Connection") && iequals_ascii(kv.second, "close");
  });
}

// A streamed body in chunked transfer coding, into the connection's outbox.
class ChunkedSink : public StreamSink {
 public:
  ChunkedSink(ResponseOutbox& box, std::function<void()> wake)
      : box_(box), wake_(std::move(wake)) {}
  bool write(const std::string& data) override {
    if (data.empty()) return true;
    char size[20];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    const bool ok = box_.append(size + data + "\r\n");
    wake_();
    return ok;
  }
  void done() override {
    if (done_) return;
    done_ = box_.append("0\r\n\r\n");
    wake_();
  }
  bool finished() const { return done_; }

 private:
  ResponseOutbox& box_;
  std::function<void()> wake_;
  bool done_ = false;
};

struct Route {
  std::string method;
  std::regex pattern;
  HttpHandler handler;
  UploadHandler upload;
};

}  // namespace

std::string HttpRequest::query_value(const std::string& name, const std::string& fallback) const {
  const auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

std::string HttpRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (iequals_ascii(k, name)) return v;
  return "";
}

struct HttpServer::Impl {
  HttpServerOptions options;
  std::vector<Route> routes;
  std::function<void(HttpResponse&)> fill_error;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<ConnectionLoop> loop;

  std::size_t upload_limit() const {
    return options.max_upload_bytes ? options.max_upload_bytes : options.max_body_bytes;
  }
  static std::string limit_detail(std::size_t limit) {
    return "the request body is larger than this server's limit of " + std::to_string(limit) +
           " bytes";
  }

  const Route* find(const std::string& method, const std::string& path, std::smatch* m) const {
    for (const auto& r : routes)
      if (r.method == method &&
          (m ? std::regex_match(path, *m, r.pattern) : std::regex_match(path, r.pattern)))
        return &r;
    return nullptr;
  }

  HeadVerdict on_head(const HttpRequestHead& head) const {
    const Route* r = find(head.method, decoded_path(head.target), nullptr);
    HeadVerdict v;
    v.spool = r && r->upload;
    v.body_limit = v.spool ? upload_limit() + kUploadFieldAllowance : options.max_body_bytes;
    v.limit_detail = limit_detail(v.spool ? upload_limit() : options.max_body_bytes);
    return v;
  }

  void fill(HttpResponse& res) const {
    res.content_type = "application/json";
    if (fill_error) fill_error(res);
  }

  std::string error_response(int status, const std::string& detail) const {
    HttpResponse res;
    res.status = status;
    res.body = detail;
    fill(res);
    if (status == 503) res.headers.emplace_back("Retry-After", "1");
    return head_of(res, true, false) + res.body;
  }

  static HttpRequest plain_request(const ReadRequest& r, const std::smatch& m) {
    HttpRequest q;
    q.method = r.head.method;
    q.path = decoded_path(r.head.target);
    q.body = r.body;
    q.remote_addr = r.peer;
    q.headers = r.head.headers;
    q.query = query_of(r.head.target);
    for (std::size_t i = 1; i < m.size(); ++i) q.path_params.push_back(m[i].str());
    return q;
  }

  // The spooled body, through the multipart parser, to the upload handler's callbacks.
  static MultipartReader spooled_reader(const ReadRequest& r) {
    return [&r](const std::function<bool(const UploadPart&)>& part,
                const std::function<bool(const char*, std::size_t)>& data) {
      if (r.spool_fd < 0) return false;
      try {
        MultipartParser parser(r.head.header("Content-Type"), part, data);
        if (::lseek(r.spool_fd, 0, SEEK_SET) != 0) return false;
        std::string buf(1 << 16, '\0');
        for (;;) {
          const auto n = ::read(r.spool_fd, buf.data(), buf.size());
          if (n < 0) return false;
          if (n == 0) return parser.finish();
          if (!parser.feed(buf.data(), static_cast<std::size_t>(n))) return false;
        }
      } catch (const std::invalid_argument&) {
        return false;
      }
    };
  }

  void run_handler(const ReadRequest& r, HttpResponse& res) const {
    const auto path = decoded_path(r.head.target);
    std::smatch m;
    const Route* route = find(r.head.method, path, &m);
    if (!route) {
      res.status = 404;
      return fill(res);
    }
    try {
      const auto req = plain_request(r, m);
      if (route->upload)
        route->upload(req, res, spooled_reader(r));
      else
        route->handler(req, res);
    } catch (const std::exception& e) {
      res = HttpResponse();
      res.status = 500;
      res.body = std::string("internal error: ") + e.what();
      fill(res);
    }
  }

  void answer(ReadRequest r, std::shared_ptr<ResponseOutbox> box, std::function<void()> wake) {
    HttpResponse res;
    run_handler(r, res);
    if (r.spool_fd >= 0) ::close(r.spool_fd);
    const bool close = !r.head.keep_alive || r.truncated || asks_close(res);
    if (!res.stream) {
      box->append(head_of(res, close, false) + res.body);
      box->finish(close);
      return wake();
    }
    box->append(head_of(res, close, true));
    wake();
    ChunkedSink sink(*box, wake);
    while (!sink.finished() && !box->gone && res.stream(sink)) {
    }
    // A stream that stopped before its end cannot be framed as complete: the connection closes.
    box->finish(close || !sink.finished());
    wake();
    if (res.stream_finished) res.stream_finished(sink.finished() && !box->gone);
  }
};

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  ConnectionLoop::Handlers h;
  auto* m = impl_.get();
  h.on_head = [m](const HttpRequestHead& head) { return m->on_head(head); };
  h.error_response = [m](int status, const std::string& detail) {
    return m->error_response(status, detail);
  };
  h.dispatch = [m](ReadRequest r, std::shared_ptr<ResponseOutbox> box, std::function<void()> wake) {
    auto shared = std::make_shared<ReadRequest>(std::move(r));
    m->workers->submit([m, shared, box, wake] { m->answer(std::move(*shared), box, wake); });
  };
  impl_->loop = std::make_unique<ConnectionLoop>(impl_->options.connections, std::move(h));
  impl_->workers = std::make_unique<WorkerPool>(impl_->options.threads);
}

HttpServer::~HttpServer() {
  impl_->loop->stop();
  impl_->workers.reset();  // joins: every answer is over before the loop goes
}

void HttpServer::get(const std::string& path, HttpHandler handler) {
  impl_->routes.push_back({"GET", std::regex(path), std::move(handler), nullptr});
}

void HttpServer::post(const std::string& path, HttpHandler handler) {
  impl_->routes.push_back({"POST", std::regex(path), std::move(handler), nullptr});
}

void HttpServer::del(const std::string& path, HttpHandler handler) {
  impl_->routes.push_back({"DELETE", std::regex(path), std::move(handler), nullptr});
}

void HttpServer::post_upload(const std::string& path, UploadHandler handler) {
  impl_->routes.push_back({"POST", std::regex(path), nullptr, std::move(handler)});
}

void HttpServer::on_transport_error(std::function<void(HttpResponse&)> fill) {
  impl_->fill_error = std::move(fill);
}

int HttpServer::bind() { return impl_->loop->bind(impl_->options.host, impl_->options.port); }

void HttpServer::listen() { impl_->loop->run(); }

void HttpServer::stop() { impl_->loop->stop(); }

ConnectionStats HttpServer::connection_stats() const { return impl_->loop->stats(); }

}  // namespace chosei
