#include "chat/http_transport.h"

// Debian's libcpp-httplib is built with these (its pkg-config Cflags); the header must see
// them too or Request and Response have another layout than the library's.
#define CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <regex>
#include <set>
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
  for (const auto& [k, v] : req.params) r.query.emplace(k, v);
  for (std::size_t i = 1; i < req.matches.size(); ++i)
    r.path_params.push_back(req.matches[i].str());  // the path was decoded when read
  return r;
}

constexpr std::size_t kUploadFieldAllowance = 64 << 10;

std::size_t content_length(const httplib::Request& req) {
  const auto v = req.get_header_value("Content-Length");
  if (v.empty()) return 0;
  try {
    return static_cast<std::size_t>(std::stoull(v));
  } catch (const std::exception&) {
    return std::numeric_limits<std::size_t>::max();
  }
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

std::string HttpRequest::query_value(const std::string& name, const std::string& fallback) const {
  const auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

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
  std::vector<std::regex> upload_routes;

  static std::string limit_detail(std::size_t limit) {
    return "the request body is larger than this server's limit of " + std::to_string(limit) +
           " bytes";
  }

  bool is_upload(const std::string& path) const {
    return std::any_of(upload_routes.begin(), upload_routes.end(),
                       [&](const std::regex& r) { return std::regex_match(path, r); });
  }

  // Refused from the headers, before a byte of the body is read: the upload routes' limit
  // for them, the body limit for every other route.
  // The limit of a request to `path`, and what a refusal says.
  std::size_t limit_for(const std::string& path) const {
    return is_upload(path) ? upload_limit() + kUploadFieldAllowance : options.max_body_bytes;
  }
  bool too_large(const httplib::Request& req) const {
    return content_length(req) > limit_for(req.path);
  }
  std::size_t upload_limit() const {
    return options.max_upload_bytes ? options.max_upload_bytes : options.max_body_bytes;
  }

  // `detail`: what the error message should say (the handler may use it as the message).
  void refuse(int status, httplib::Response& res, const std::string& detail = "") {
    res.status = status;
    res.set_header("Connection", "close");
    if (!fill_error) return;
    HttpResponse plain;
    plain.status = status;
    plain.body = detail;
    fill_error(plain);
    res.set_content(plain.body, plain.content_type);
  }

  httplib::Server::Handler wrap(HttpHandler handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      // A chunked body has no Content-Length to refuse it by before it is read.
      if (req.body.size() > options.max_body_bytes)
        return refuse(413, res, limit_detail(options.max_body_bytes));
      HttpResponse plain;
      handler(plain_request(req), plain);
      deliver(plain, res);
    };
  }
};

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->http.set_payload_max_length(
      std::max(impl_->options.max_body_bytes, impl_->upload_limit() + kUploadFieldAllowance));
  impl_->http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!impl_->too_large(req)) return httplib::Server::HandlerResponse::Unhandled;
    impl_->refuse(413, res,
                  Impl::limit_detail(impl_->is_upload(req.path) ? impl_->upload_limit()
                                                                : impl_->options.max_body_bytes));
    return httplib::Server::HandlerResponse::Handled;
  });
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

void HttpServer::del(const std::string& path, HttpHandler handler) {
  impl_->http.Delete(path, impl_->wrap(std::move(handler)));
}

void HttpServer::post_upload(const std::string& path, UploadHandler handler) {
  impl_->upload_routes.emplace_back(path);
  impl_->http.Post(path, [this, handler](const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& reader) {
    HttpResponse plain;
    bool read_all = false;
    MultipartReader read_body = [&](const std::function<bool(const UploadPart&)>& part,
                                    const std::function<bool(const char*, std::size_t)>& data) {
      if (!req.is_multipart_form_data()) return false;
      // A backstop for bodies without Content-Length: the handler enforces the limit on the
      // file itself (its message names it); form fields get room beside it.
      std::size_t total = 0;
      const auto limit = impl_->upload_limit() + kUploadFieldAllowance;
      read_all = reader(
          [&](const httplib::MultipartFormData& f) {
            return part(UploadPart{f.name, f.filename, f.content_type});
          },
          [&](const char* bytes, std::size_t n) {
            total += n;
            return total <= limit && data(bytes, n);
          });
      return read_all;
    };
    handler(plain_request(req), plain, read_body);
    if (!read_all) plain.headers.emplace_back("Connection", "close");
    deliver(plain, res);
  });
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
