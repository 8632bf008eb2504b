#pragma once
// The labeling JSON API that the annotator page uses (and scripts may): annotators sign in
// with their key (Authorization: Bearer KEY, from the annotators file), get the next item,
// submit a judgment named by screen side (left, right, tie, both_bad: the page never learns
// which answer is "a"), skip, undo, and read their progress. Errors come in the server's one
// shape ({"error": {...}}) with their status: 401 for a missing or wrong key, 404 for an
// unknown session, 409 for an item the annotator holds no lease on. Every decision is
// committed before the answer is sent.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "chat/http_transport.h"
#include "labeling/assignment_queue.h"

namespace chosei {

struct LabelRouteOptions {
  std::string db;
  std::map<std::string, std::string> annotators;  // key -> name
  std::string admin_key;                          // empty: no admin routes
  double lease_seconds = 600;
};

// "name key" a line ('#' starts a comment); throws naming file:line on a bad or repeated entry.
std::map<std::string, std::string> read_annotators_file(const std::string& path);

class LabelRoutes {
 public:
  explicit LabelRoutes(LabelRouteOptions options);
  ~LabelRoutes();

  void session(const HttpRequest& req, HttpResponse& res);
  void sessions(const HttpRequest& req, HttpResponse& res);  // annotator or admin key
  void next(const HttpRequest& req, HttpResponse& res);
  void submit(const HttpRequest& req, HttpResponse& res);
  void skip(const HttpRequest& req, HttpResponse& res);
  void undo(const HttpRequest& req, HttpResponse& res);
  void progress(const HttpRequest& req, HttpResponse& res);
  void stats(const HttpRequest& req, HttpResponse& res);  // admin key

 private:
  std::string annotator(const HttpRequest& req) const;  // throws ApiError 401
  bool is_admin(const HttpRequest& req) const;
  AssignmentQueue& queue(const std::string& session_name);  // "" : the only session

  LabelRouteOptions options_;
  std::mutex mutex_;  // one SQLite connection: one request in it at a time
  std::unique_ptr<LabelStore> store_;
  std::map<std::int64_t, std::unique_ptr<AssignmentQueue>> queues_;
};

}  // namespace chosei
