#pragma once
// The OpenAI files API (`/v1/files`) over finetune/file_store: a multipart upload streamed
// to disk (never held whole; over the upload limit it is 413 and nothing is kept), checked
// at once by finetune/upload_check (status processed, or error with the file:line findings
// in status_details); list with purpose, order, after and limit; get; content; delete.
// Another key's file is 404, as if it did not exist.

#include <cstddef>
#include <functional>
#include <string>

#include "chat/api_caller.h"
#include "chat/http_transport.h"
#include "finetune/file_store.h"

namespace chosei {

class FilesRoutes {
 public:
  FilesRoutes(FileStore& files, std::size_t max_upload_bytes)
      : files_(files), max_upload_bytes_(max_upload_bytes) {}

  void upload(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res,
              const MultipartReader& read_body);
  void list(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res);
  void get(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res);
  void content(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res);
  void remove(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res);

 private:
  FileStore& files_;
  std::size_t max_upload_bytes_;
};

// A list route's `limit` query parameter: `fallback` when absent; 400 outside 1..most.
std::int64_t page_limit(const HttpRequest& req, std::int64_t fallback, std::int64_t most);
// A list route's body: {"object": "list", "data", "has_more", "first_id", "last_id"} of the
// page `list()` returns; an `after` that names no object of the list is a 400.
std::string list_body(const std::function<ObjectPage()>& list);

}  // namespace chosei
