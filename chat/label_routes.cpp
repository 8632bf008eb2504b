#include "chat/label_routes.h"

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "chat/api_error.h"
#include "labeling/session_statistics.h"
#include "labeling/statistics_json.h"

namespace chosei {

using json = nlohmann::json;

namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json body_of(const HttpRequest& req) {
  if (req.body.empty()) return json::object();
  auto j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw invalid_request("the request body is not a JSON object");
  return j;
}

std::string text(const json& j, const char* key, bool required) {
  if (!j.contains(key) || j[key].is_null()) {
    if (required) throw invalid_request(std::string("missing \"") + key + "\"", key);
    return "";
  }
  if (!j[key].is_string())
    throw invalid_request(std::string("\"") + key + "\" must be a string", key);
  return j[key].get<std::string>();
}

void reply(HttpResponse& res, const json& j) {
  res.content_type = "application/json";
  res.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json progress_json(const AnnotatorProgress& p) {
  return {{"done", p.done},
          {"open", p.open},
          {"available", p.available},
          {"session_done", p.session_done},
          {"session_needed", p.session_needed}};
}

json item_json(const std::optional<AssignedItem>& item) {
  if (!item) return nullptr;
  auto messages = json::parse(item->prompt_json, nullptr, false);
  return {{"id", item->item},
          {"messages", messages.is_discarded() ? json::array() : messages},
          {"left", item->left},
          {"right", item->right},
          {"lease_until", item->lease_until}};
}

}  // namespace

std::map<std::string, std::string> read_annotators_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the annotators file");
  std::map<std::string, std::string> keys;
  std::set<std::string> names;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    const auto hash = line.find('#');
    std::istringstream fields(line.substr(0, hash));
    std::string name, key, extra;
    if (!(fields >> name)) continue;
    const std::string where = path + ":" + std::to_string(n) + ": ";
    if (!(fields >> key) || (fields >> extra))
      throw std::runtime_error(where + "expected \"name key\"");
    if (key.size() < 8)
      throw std::runtime_error(where + "the key of " + name + " is shorter than 8 characters");
    if (!names.insert(name).second) throw std::runtime_error(where + name + " is listed twice");
    if (!keys.emplace(key, name).second)
      throw std::runtime_error(where + "a key is shared by two annotators");
  }
  if (keys.empty()) throw std::runtime_error(path + ": no annotators");
  return keys;
}

LabelRoutes::LabelRoutes(LabelRouteOptions options)
    : options_(std::move(options)), store_(std::make_unique<LabelStore>(options_.db)) {}

LabelRoutes::~LabelRoutes() = default;

std::string LabelRoutes::annotator(const HttpRequest& req) const {
  const auto header = req.header("Authorization");
  const std::string prefix = "Bearer ";
  if (header.compare(0, prefix.size(), prefix) == 0) {
    auto it = options_.annotators.find(header.substr(prefix.size()));
    if (it != options_.annotators.end()) return it->second;
  }
  throw ApiError(401, "Sign in with your annotator key (Authorization: Bearer KEY)",
                 "invalid_request_error", "", "invalid_api_key");
}

AssignmentQueue& LabelRoutes::queue(const std::string& name) {
  std::int64_t id = 0;
  if (name.empty()) {
    const auto only = store_->only_session();
    if (!only)
      throw invalid_request("the database holds " + std::to_string(store_->sessions().size()) +
                                " sessions; name one in \"session\"",
                            "session");
    id = *only;
  } else {
    try {
      id = store_->session_id(name);
    } catch (const std::invalid_argument&) {
      throw ApiError(404, "no session named \"" + name + "\"", "invalid_request_error", "session");
    }
  }
  auto& q = queues_[id];
  if (!q) q = std::make_unique<AssignmentQueue>(*store_, id, options_.lease_seconds);
  return *q;
}

void LabelRoutes::session(const HttpRequest& req, HttpResponse& res) {
  const auto who = annotator(req);
  const auto b = body_of(req);
  std::lock_guard<std::mutex> lock(mutex_);
  auto& q = queue(text(b, "session", false));
  const auto s = store_->session(q.session());
  reply(res, {{"session", s.name},
              {"guidelines", s.guidelines},
              {"overlap", s.overlap},
              {"items", s.items},
              {"break_minutes", s.break_minutes},
              {"annotator", who},
              {"progress", progress_json(q.progress(who, unix_now()))}});
}

void LabelRoutes::sessions(const HttpRequest& req, HttpResponse& res) {
  const bool admin = is_admin(req);
  const auto who = admin ? std::string() : annotator(req);
  std::lock_guard<std::mutex> lock(mutex_);
  auto list = json::array();
  for (const auto& s : store_->sessions()) {
    json one = {{"session", s.name}, {"items", s.items}, {"overlap", s.overlap}};
    if (!admin) one["progress"] = progress_json(queue(s.name).progress(who, unix_now()));
    list.push_back(one);
  }
  reply(res, {{"sessions", list}});
}

void LabelRoutes::next(const HttpRequest& req, HttpResponse& res) {
  const auto who = annotator(req);
  const auto b = body_of(req);
  std::lock_guard<std::mutex> lock(mutex_);
  auto& q = queue(text(b, "session", false));
  const double now = unix_now();
  const auto item = q.next(who, now);
  reply(res, {{"item", item_json(item)}, {"progress", progress_json(q.progress(who, now))}});
}

void LabelRoutes::submit(const HttpRequest& req, HttpResponse& res) {
  const auto who = annotator(req);
  const auto b = body_of(req);
  DecisionInput d;
  d.item = text(b, "item", true);
  d.annotator = who;
  d.reason = text(b, "reason", false);
  d.client_id = text(b, "client_id", true);
  const std::string choice = text(b, "choice", true);
  if (b.contains("strength")) {
    if (!b["strength"].is_number_integer() || (b["strength"] != 1 && b["strength"] != 2))
      throw invalid_request("\"strength\" must be 1 or 2", "strength");
    d.strength = b["strength"].get<int>();
  }
  if (b.contains("seconds") && b["seconds"].is_number()) d.seconds = b["seconds"].get<double>();
  std::lock_guard<std::mutex> lock(mutex_);
  auto& q = queue(text(b, "session", false));
  try {
    const double now = unix_now();
    const bool stored = q.submit_by_side(d, choice, now);
    // The next item in the same answer: the page shows it without a second round trip.
    const auto next = q.next(who, now);
    reply(res, {{"stored", stored},
                {"next", item_json(next)},
                {"progress", progress_json(q.progress(who, now))}});
  } catch (const LeaseError& e) {
    throw ApiError(409, e.what(), "invalid_request_error", "item", "not_leased");
  } catch (const std::invalid_argument& e) {
    throw invalid_request(e.what(), "choice");
  }
}

void LabelRoutes::skip(const HttpRequest& req, HttpResponse& res) {
  const auto who = annotator(req);
  const auto b = body_of(req);
  const auto item = text(b, "item", true), client = text(b, "client_id", true);
  std::lock_guard<std::mutex> lock(mutex_);
  auto& q = queue(text(b, "session", false));
  try {
    const double now = unix_now();
    const bool stored = q.skip(who, item, client, now);
    const auto next = q.next(who, now);
    reply(res, {{"stored", stored},
                {"next", item_json(next)},
                {"progress", progress_json(q.progress(who, now))}});
  } catch (const LeaseError& e) {
    throw ApiError(409, e.what(), "invalid_request_error", "item", "not_leased");
  }
}

void LabelRoutes::undo(const HttpRequest& req, HttpResponse& res) {
  const auto who = annotator(req);
  const auto b = body_of(req);
  const auto client = text(b, "client_id", true);
  std::lock_guard<std::mutex> lock(mutex_);
  auto& q = queue(text(b, "session", false));
  const double now = unix_now();
  const auto item = q.undo(who, client, now);
  // The reopened item is the annotator's most recent lease, so next() hands it back.
  std::optional<AssignedItem> reopened;
  if (item) reopened = q.next(who, now);
  reply(res, {{"item", item ? json(*item) : json(nullptr)},
              {"next", item_json(reopened)},
              {"progress", progress_json(q.progress(who, now))}});
}

void LabelRoutes::progress(const HttpRequest& req, HttpResponse& res) {
  const auto who = annotator(req);
  const auto b = body_of(req);
  std::lock_guard<std::mutex> lock(mutex_);
  reply(res, progress_json(queue(text(b, "session", false)).progress(who, unix_now())));
}

bool LabelRoutes::is_admin(const HttpRequest& req) const {
  return !options_.admin_key.empty() &&
         req.header("Authorization") == "Bearer " + options_.admin_key;
}

void LabelRoutes::stats(const HttpRequest& req, HttpResponse& res) {
  if (!is_admin(req))
    throw ApiError(401, "The admin key is required", "invalid_request_error", "",
                   "invalid_api_key");
  const auto b = body_of(req);
  std::lock_guard<std::mutex> lock(mutex_);
  auto& q = queue(text(b, "session", false));
  reply(res, statistics_json(session_statistics(*store_, q.session())));
}

}  // namespace chosei
