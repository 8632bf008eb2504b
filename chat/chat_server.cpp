#include "chat/chat_server.h"

#include <chrono>
#include <thread>

#include "chat/api_error.h"
#include "chat/chat_completions_route.h"
#include "chat/health_route.h"
#include "chat/http_transport.h"
#include "chat/label_routes.h"
#include "chat/model_registry.h"
#include "chat/models_route.h"
#include "chat/server_metrics.h"
#include "chat/web_page.h"

namespace chosei {

namespace {

void send_error(HttpResponse& res, const ApiError& e) {
  res.status = e.status;
  res.content_type = "application/json";
  res.body = e.body().dump();
  res.stream = nullptr;
}

HttpServerOptions transport_options(const ChatServerOptions& o) {
  HttpServerOptions h;
  h.host = o.host;
  h.port = o.port;
  h.max_body_bytes = o.max_body_bytes;
  // A request holds its HTTP thread while it waits and streams (the threads mostly sleep):
  // enough of them that every queued and decoding request has one, and 429 comes from the
  // queue rather than from connections waiting to be accepted.
  h.threads = o.max_queue + static_cast<std::size_t>(o.max_batch) * o.models.size() + 8;
  return h;
}

}  // namespace

struct ChatServer::Impl {
  explicit Impl(ChatServerOptions o)
      : options(std::move(o)),
        models({options.max_batch, options.max_queue, options.precision}),
        http(transport_options(options)) {}

  ChatServerOptions options;
  ModelRegistry models;
  std::unique_ptr<FilterEngine> filters;
  ServerMetrics metrics;
  HttpServer http;
  std::atomic<bool> draining{false};
  std::atomic<int> in_flight{0};
  std::unique_ptr<ChatCompletionsRoute> chat;
  std::unique_ptr<LabelRoutes> labels;

  void authorize(const HttpRequest& req) const {
    if (options.api_keys.empty()) return;
    const auto header = req.header("Authorization");
    const std::string prefix = "Bearer ";
    if (header.compare(0, prefix.size(), prefix) != 0 ||
        !options.api_keys.count(header.substr(prefix.size())))
      throw ApiError(401, "Incorrect API key provided", "invalid_request_error", "",
                     "invalid_api_key");
  }

  // An API route: counted while it runs (draining waits for it), keyed (the API keys, or
  // for labeling routes the annotator and admin keys the route checks), its failures
  // answered in OpenAI's error shape.
  HttpHandler api(std::function<void(const HttpRequest&, HttpResponse&)> handler,
                  bool api_key = true) {
    return [this, handler, api_key](const HttpRequest& req, HttpResponse& res) {
      ++in_flight;
      try {
        if (draining) throw ApiError(503, "the server is shutting down", "server_error");
        if (api_key) authorize(req);
        handler(req, res);
      } catch (const ApiError& e) {
        send_error(res, e);
      } catch (const std::exception& e) {
        send_error(res, ApiError(500, e.what(), "server_error"));
      }
      metrics.request(res.status);
      --in_flight;
    };
  }

  void add_label_routes() {
    using Method = void (LabelRoutes::*)(const HttpRequest&, HttpResponse&);
    const std::pair<const char*, Method> routes[] = {
        {"/label/api/session", &LabelRoutes::session},
        {"/label/api/sessions", &LabelRoutes::sessions},
        {"/label/api/next", &LabelRoutes::next},
        {"/label/api/submit", &LabelRoutes::submit},
        {"/label/api/skip", &LabelRoutes::skip},
        {"/label/api/undo", &LabelRoutes::undo},
        {"/label/api/progress", &LabelRoutes::progress},
        {"/label/api/stats", &LabelRoutes::stats}};
    for (const auto& [path, method] : routes)
      http.post(path, api([this, m = method](const HttpRequest& q,
                                             HttpResponse& r) { (labels.get()->*m)(q, r); },
                          false));
    http.get("/label", page(label_page_html));
    http.get("/label/admin", page(label_admin_page_html));
  }

  // A page is a fixed document: it may run its own inline script and talk to this server,
  // nothing else, so text from users that slipped past the page's escaping still cannot
  // load or send anything.
  static HttpHandler page(const std::string& (*html)()) {
    return [html](const HttpRequest&, HttpResponse& r) {
      r.content_type = "text/html; charset=utf-8";
      r.headers.emplace_back("Content-Security-Policy",
                             "default-src 'none'; script-src 'unsafe-inline'; style-src "
                             "'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
                             "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      r.headers.emplace_back("X-Content-Type-Options", "nosniff");
      r.headers.emplace_back("Cache-Control", "no-store");
      r.body = html();
    };
  }

  void add_routes() {
    http.post("/v1/chat/completions",
              api([this](const HttpRequest& q, HttpResponse& r) { chat->handle(q, r); }));
    http.get("/v1/models",
             api([this](const HttpRequest&, HttpResponse& r) { list_models(models, r); }));
    http.get("/", [](const HttpRequest&, HttpResponse& r) {
      r.content_type = "text/html; charset=utf-8";
      r.body = chat_page_html();
    });
    http.get("/health",
             [this](const HttpRequest&, HttpResponse& r) { report_health(draining, r); });
    http.get("/metrics", [this](const HttpRequest&, HttpResponse& r) {
      report_metrics(models, metrics, filters.get(), r);
    });
    if (labels) add_label_routes();
    http.on_transport_error([](HttpResponse& res) {
      if (res.status == 413)
        send_error(res, ApiError(413, "the request body is too large", "invalid_request_error"));
      else if (res.status == 404)
        send_error(res, ApiError(404, "no such endpoint", "invalid_request_error"));
    });
  }
};

ChatServer::ChatServer(ChatServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  for (const auto& [name, dir] : impl_->options.models) impl_->models.add(name, dir);
  if (impl_->options.filters)
    impl_->filters = std::make_unique<FilterEngine>(load_rule_packs(impl_->options.packs));
  if (!impl_->options.label_db.empty())
    impl_->labels = std::make_unique<LabelRoutes>(
        LabelRouteOptions{impl_->options.label_db, impl_->options.annotators,
                          impl_->options.label_admin_key, impl_->options.label_lease_seconds});
  impl_->chat =
      std::make_unique<ChatCompletionsRoute>(impl_->models, impl_->filters.get(), impl_->metrics,
                                             impl_->options.max_tokens, impl_->in_flight);
  impl_->add_routes();
}

ChatServer::~ChatServer() { impl_->models.shutdown(); }

void ChatServer::add_model(const std::string& name, const std::string& dir) {
  impl_->models.add(name, dir);
}

void ChatServer::run(const std::function<void(int)>& on_listening) {
  const int port = impl_->http.bind();
  if (on_listening) on_listening(port);
  impl_->http.listen();
}

void ChatServer::stop() {
  impl_->draining = true;
  while (impl_->in_flight > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  impl_->http.stop();
}

}  // namespace chosei
