#include "chat/http_transport.h"

// Debian's libcpp-httplib is built with these (its pkg-config Cflags); the header must see
// them too or Request and Response have another layout than the library's.
#define CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace chosei {

namespace {

HttpRequest plain_request(const httplib::Request& req) {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  r.body = req.body;
  r.remote_addr = req.remote_addr;
  for (const auto& [k, v] : req.headers) r.headers.emplace(k, v);
  return r;
}

class HttplibSink : public StreamSink {
 public:
  explicit HttplibSink(httplib::DataSink& sink) : sink_(sink) {}
  bool write(const std::string& data) override { return sink_.write(data.data(), data.size()); }
  void done() override { sink_.done(); }

 private:
  httplib::DataSink& sink_;
};

void deliver(const HttpResponse& plain, httplib::Response& res) {
  res.status = plain.status;
  for (const auto& [k, v] : plain.headers) res.set_header(k, v);
  if (!plain.stream) {
    res.set_content(plain.body, plain.content_type);
    return;
  }
  auto stream = plain.stream;
  auto finished = plain.stream_finished;
  res.set_chunked_content_provider(
      plain.content_type,
      [stream](std::size_t, httplib::DataSink& sink) {
        HttplibSink s(sink);
        return stream(s);
      },
      [finished](bool success) {
        if (finished) finished(success);
      });
}

}  // namespace

std::string HttpRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        }))
      return v;
  return "";
}

struct HttpServer::Impl {
  HttpServerOptions options;
  httplib::Server http;
  std::function<void(HttpResponse&)> fill_error;

  httplib::Server::Handler wrap(HttpHandler handler) {
    return [handler](const httplib::Request& req, httplib::Response& res) {
      HttpResponse plain;
      handler(plain_request(req), plain);
      deliver(plain, res);
    };
  }
};

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->http.set_payload_max_length(impl_->options.max_body_bytes);
  const auto threads = impl_->options.threads;
  impl_->http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl_->http.set_error_handler([this](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty() || !impl_->fill_error) return;
    HttpResponse plain;
    plain.status = res.status;
    impl_->fill_error(plain);
    if (!plain.body.empty()) res.set_content(plain.body, plain.content_type);
  });
}

HttpServer::~HttpServer() = default;

void HttpServer::get(const std::string& path, HttpHandler handler) {
  impl_->http.Get(path, impl_->wrap(std::move(handler)));
}

void HttpServer::post(const std::string& path, HttpHandler handler) {
  impl_->http.Post(path, impl_->wrap(std::move(handler)));
}

void HttpServer::on_transport_error(std::function<void(HttpResponse&)> fill) {
  impl_->fill_error = std::move(fill);
}

int HttpServer::bind() {
  auto& o = impl_->options;
  const int port = o.port == 0 ? impl_->http.bind_to_any_port(o.host)
                               : (impl_->http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port < 0)
    throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port));
  return port;
}

void HttpServer::listen() { impl_->http.listen_after_bind(); }

void HttpServer::stop() { impl_->http.stop(); }

}  // namespace chosei
