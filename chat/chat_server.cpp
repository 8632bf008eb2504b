#include "chat/chat_server.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include "base/sha256.h"
#include "chat/api_error.h"
#include "chat/chat_completions_route.h"
#include "chat/completions_route.h"
#include "chat/files_routes.h"
#include "chat/fine_tuning_routes.h"
#include "chat/health_route.h"
#include "chat/http_transport.h"
#include "chat/label_routes.h"
#include "chat/model_registry.h"
#include "chat/models_route.h"
#include "chat/server_metrics.h"
#include "chat/tokenize_route.h"
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
  if (!o.data_dir.empty()) h.max_upload_bytes = o.max_upload_bytes;
  h.connections = o.connections;
  // Uploads wait beside the files they become (the same file system, not a small /tmp).
  if (h.connections.spool_dir.empty() && !o.data_dir.empty()) {
    h.connections.spool_dir = (std::filesystem::path(o.data_dir) / "tmp").string();
    std::filesystem::create_directories(h.connections.spool_dir);
  }
  // A request holds its answering thread while it waits and streams (the threads mostly
  // sleep): enough of them that every queued and decoding request has one, and 429 comes from
  // the queue rather than from requests waiting for a thread. Reading requests holds none.
  h.threads = o.max_queue + static_cast<std::size_t>(o.max_batch) * o.models.size() + 8;
  return h;
}

}  // namespace

struct ChatServer::Impl {
  explicit Impl(ChatServerOptions o)
      : options(std::move(o)),
        models({options.max_batch, options.max_queue, options.precision, options.weights,
                options.kv_cache, options.device, options.max_context}),
        http(transport_options(options)) {}

  ChatServerOptions options;
  ModelRegistry models;
  std::unique_ptr<FilterEngine> filters;
  ServerMetrics metrics;
  HttpServer http;
  std::atomic<bool> draining{false};
  std::atomic<int> in_flight{0};
  std::unique_ptr<ChatCompletionsRoute> chat;
  std::unique_ptr<CompletionsRoute> completions;
  std::unique_ptr<LabelRoutes> labels;
  std::unique_ptr<FinetuneDatabase> finetune_db;
  std::unique_ptr<FileStore> files;
  std::unique_ptr<JobStore> jobs;
  std::unique_ptr<JobRunner> runner;
  std::unique_ptr<FilesRoutes> file_routes;
  std::unique_ptr<FineTuningRoutes> job_routes;

  // The caller of an API route: its key checked (an API key or the admin key), its owner
  // the key's hash. Without keys every caller is the one owner "".
  ApiCaller authorize(const HttpRequest& req) const {
    if (options.api_keys.empty()) return {};
    const auto header = req.header("Authorization");
    const std::string prefix = "Bearer ";
    const auto key = header.compare(0, prefix.size(), prefix) == 0 ? header.substr(prefix.size())
                                                                   : std::string();
    const bool admin = !options.label_admin_key.empty() && key == options.label_admin_key;
    if (!admin && !options.api_keys.count(key))
      throw ApiError(401, "Incorrect API key provided", "invalid_request_error", "",
                     "invalid_api_key");
    return {Sha256().update(key).hex(), admin};
  }

  // Counted while it runs (draining waits for it), its failures answered in OpenAI's error
  // shape.
  template <class F>
  void guarded(HttpResponse& res, F&& body) {
    ++in_flight;
    try {
      if (draining) throw ApiError(503, "the server is shutting down", "server_error");
      body();
    } catch (const ApiError& e) {
      send_error(res, e);
    } catch (const std::exception& e) {
      send_error(res, ApiError(500, e.what(), "server_error"));
    }
    metrics.request(res.status);
    --in_flight;
  }

  // An API route, keyed by the API keys (labeling routes check their own annotator and
  // admin keys: api_key false).
  HttpHandler api(std::function<void(const HttpRequest&, HttpResponse&)> handler,
                  bool api_key = true) {
    return [this, handler, api_key](const HttpRequest& req, HttpResponse& res) {
      guarded(res, [&] {
        if (api_key) authorize(req);
        handler(req, res);
      });
    };
  }
  using CallerHandler = std::function<void(const ApiCaller&, const HttpRequest&, HttpResponse&)>;
  HttpHandler api_as(CallerHandler handler) {
    return [this, handler](const HttpRequest& req, HttpResponse& res) {
      guarded(res, [&] { handler(authorize(req), req, res); });
    };
  }

  void add_finetune_routes() {
    http.post_upload("/v1/files", [this](const HttpRequest& req, HttpResponse& res,
                                         const MultipartReader& read) {
      guarded(res, [&] { file_routes->upload(authorize(req), req, res, read); });
    });
    using F = FilesRoutes;
    using J = FineTuningRoutes;
    auto files_route = [this](void (F::*m)(const ApiCaller&, const HttpRequest&, HttpResponse&)) {
      return api_as([this, m](const ApiCaller& c, const HttpRequest& q, HttpResponse& r) {
        (file_routes.get()->*m)(c, q, r);
      });
    };
    auto jobs_route = [this](void (J::*m)(const ApiCaller&, const HttpRequest&, HttpResponse&)) {
      return api_as([this, m](const ApiCaller& c, const HttpRequest& q, HttpResponse& r) {
        (job_routes.get()->*m)(c, q, r);
      });
    };
    http.get("/v1/files", files_route(&F::list));
    http.get("/v1/files/([^/]+)", files_route(&F::get));
    http.get("/v1/files/([^/]+)/content", files_route(&F::content));
    http.del("/v1/files/([^/]+)", files_route(&F::remove));
    http.post("/v1/fine_tuning/jobs", jobs_route(&J::create));
    http.get("/v1/fine_tuning/jobs", jobs_route(&J::list));
    http.get("/v1/fine_tuning/jobs/([^/]+)", jobs_route(&J::get));
    http.post("/v1/fine_tuning/jobs/([^/]+)/cancel", jobs_route(&J::cancel));
    http.get("/v1/fine_tuning/jobs/([^/]+)/events", jobs_route(&J::events));
    http.get("/v1/fine_tuning/jobs/([^/]+)/checkpoints", jobs_route(&J::checkpoints));
    http.del("/v1/models/(.+)", jobs_route(&J::delete_model));
    http.get("/fine-tuning", page(finetune_page_html));
  }

  void open_finetune() {
    namespace fs = std::filesystem;
    const fs::path dir = options.data_dir;
    fs::create_directories(dir);
    finetune_db = std::make_unique<FinetuneDatabase>((dir / "finetune.db").string());
    files = std::make_unique<FileStore>(*finetune_db, (dir / "files").string());
    jobs = std::make_unique<JobStore>(*finetune_db);
    JobRunnerOptions ro;
    ro.jobs_dir = (dir / "jobs").string();
    ro.program = options.program;
    ro.settings = options.job_settings;
    ro.on_model = [this](const FineTunedModel& m) { models.add(m.name, m.dir, m.owner); };
    runner = std::make_unique<JobRunner>(*jobs, *files, ro);
    for (const auto& m : jobs->fine_tuned_models()) models.add(m.name, m.dir, m.owner);
    file_routes = std::make_unique<FilesRoutes>(*files, options.max_upload_bytes);
    job_routes = std::make_unique<FineTuningRoutes>(*jobs, *files, *runner, models);
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
    http.post("/v1/chat/completions", api_as([this](const ApiCaller& c, const HttpRequest& q,
                                                    HttpResponse& r) { chat->handle(c, q, r); }));
    http.post("/v1/completions", api_as([this](const ApiCaller& c, const HttpRequest& q,
                                               HttpResponse& r) { completions->handle(c, q, r); }));
    http.get("/v1/models", api_as([this](const ApiCaller& c, const HttpRequest&, HttpResponse& r) {
               list_models(models, c, r);
             }));
    http.post("/tokenize", api_as([this](const ApiCaller& c, const HttpRequest& q,
                                         HttpResponse& r) { tokenize(models, c, q, r); }));
    http.post("/detokenize", api_as([this](const ApiCaller& c, const HttpRequest& q,
                                           HttpResponse& r) { detokenize(models, c, q, r); }));
    http.get("/", page(chat_page_html));
    http.get("/health",
             [this](const HttpRequest&, HttpResponse& r) { report_health(draining, r); });
    http.get("/metrics", [this](const HttpRequest&, HttpResponse& r) {
      report_metrics(models, metrics, filters.get(), http.connection_stats(), r);
    });
    if (labels) add_label_routes();
    if (runner) add_finetune_routes();
    http.on_transport_error([](HttpResponse& res) {
      if (res.status == 404 && res.body.empty()) res.body = "no such endpoint";
      if (res.body.empty()) res.body = "the request cannot be served";
      send_error(res, ApiError(res.status, res.body,
                               res.status >= 500 ? "server_error" : "invalid_request_error"));
    });
  }
};

ChatServer::ChatServer(ChatServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  for (const auto& [name, dir] : impl_->options.models)
    impl_->models.add(name, dir, "", impl_->options.chat_template);
  if (impl_->options.filters)
    impl_->filters = std::make_unique<FilterEngine>(load_rule_packs(impl_->options.packs));
  if (!impl_->options.label_db.empty())
    impl_->labels = std::make_unique<LabelRoutes>(
        LabelRouteOptions{impl_->options.label_db, impl_->options.annotators,
                          impl_->options.label_admin_key, impl_->options.label_lease_seconds});
  if (!impl_->options.data_dir.empty()) impl_->open_finetune();
  const RequestLimits limits{impl_->options.max_n};
  impl_->chat =
      std::make_unique<ChatCompletionsRoute>(impl_->models, impl_->filters.get(), impl_->metrics,
                                             impl_->options.max_tokens, impl_->in_flight, limits);
  impl_->completions =
      std::make_unique<CompletionsRoute>(impl_->models, impl_->filters.get(), impl_->metrics,
                                         impl_->options.max_tokens, impl_->in_flight, limits);
  impl_->add_routes();
}

ChatServer::~ChatServer() {
  if (impl_->runner) impl_->runner->stop();
  impl_->models.shutdown();
}

void ChatServer::add_model(const std::string& name, const std::string& dir) {
  impl_->models.add(name, dir);
}

void ChatServer::run(const std::function<void(int)>& on_listening) {
  const int port = impl_->http.bind();
  if (impl_->runner) impl_->runner->start();
  if (on_listening) on_listening(port);
  impl_->http.listen();
}

void ChatServer::stop() {
  impl_->draining = true;
  if (impl_->runner) impl_->runner->stop();
  while (impl_->in_flight > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  impl_->http.stop();
}

}  // namespace chosei
