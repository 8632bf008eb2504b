#include "chat/files_routes.h"

#include <fstream>
#include <memory>

#include "chat/api_error.h"
#include "finetune/upload_check.h"

using nlohmann::json;

namespace chosei {

namespace {

ApiError no_such_file(const std::string& id) {
  return ApiError(404, "No such File object: " + id, "invalid_request_error", "id");
}

// The name a file is listed under: what the client sent, if it is a plain file name.
std::string checked_filename(const std::string& sent) {
  if (sent.empty()) return "unknown_file";
  if (sent.size() > 255)
    throw invalid_request("file: the file name is longer than 255 bytes", "file");
  for (unsigned char c : sent)
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
      throw invalid_request(
          "file: the file name must be a plain name without a path or control "
          "characters, got \"" +
              json(sent).dump() + "\"",
          "file");
  if (sent == "." || sent == "..")
    throw invalid_request("file: the file name is not a name", "file");
  return sent;
}

// The form fields other than the file: few and small (they fit the transport's allowance).
constexpr std::size_t kMaxFieldBytes = 256, kMaxFields = 8;

}  // namespace

std::int64_t page_limit(const HttpRequest& req, std::int64_t fallback, std::int64_t most) {
  const auto v = req.query_value("limit");
  if (v.empty()) return fallback;
  std::int64_t n = 0;
  try {
    std::size_t used = 0;
    n = std::stoll(v, &used);
    if (used != v.size()) n = 0;
  } catch (const std::exception&) {
    n = 0;
  }
  if (n < 1 || n > most)
    throw invalid_request(
        "limit must be an integer in 1.." + std::to_string(most) + ", got \"" + v + "\"", "limit");
  return n;
}

std::string list_body(const std::function<ObjectPage()>& list) {
  ObjectPage page;
  try {
    page = list();
  } catch (const std::invalid_argument& e) {
    throw invalid_request(e.what(), "after");
  }
  json data = json::array();
  for (const auto& o : page.data) data.push_back(o);
  return json{{"object", "list"},
              {"data", data},
              {"has_more", page.has_more},
              {"first_id", page.data.empty() ? json(nullptr) : page.data.front()["id"]},
              {"last_id", page.data.empty() ? json(nullptr) : page.data.back()["id"]}}
      .dump();
}

void FilesRoutes::upload(const ApiCaller& caller, const HttpRequest&, HttpResponse& res,
                         const MultipartReader& read_body) {
  std::unique_ptr<StagedUpload> staged;
  std::map<std::string, std::string> fields;
  std::string current, filename;
  bool file_seen = false, too_large = false, field_too_long = false, too_many_fields = false;
  std::string repeated;
  std::string write_error;
  const bool whole = read_body(
      [&](const UploadPart& part) {
        current = part.name;
        if (part.name != "file") {
          if (fields.count(part.name)) repeated = part.name;
          if (fields.size() >= kMaxFields) return !(too_many_fields = true);
          fields[part.name];
          return repeated.empty();
        }
        if (file_seen) return false;  // one file per upload
        file_seen = true;
        filename = part.filename;
        staged = files_.stage();
        return true;
      },
      [&](const char* data, std::size_t n) {
        if (current == "file") {
          if (static_cast<std::size_t>(staged->bytes()) + n > max_upload_bytes_) {
            too_large = true;
            return false;
          }
          try {
            staged->write(data, n);
          } catch (const std::exception& e) {
            write_error = e.what();
            return false;
          }
          return true;
        }
        auto& v = fields[current];
        if (v.size() + n > kMaxFieldBytes) return !(field_too_long = true);
        v.append(data, n);
        return true;
      });
  if (too_large)
    throw ApiError(413,
                   "file: the upload is larger than this server's limit of " +
                       std::to_string(max_upload_bytes_) + " bytes",
                   "invalid_request_error", "file");
  if (!write_error.empty())
    throw ApiError(507, "cannot store the upload: " + write_error, "server_error");
  if (field_too_long) throw invalid_request("a form field is longer than 256 bytes");
  if (too_many_fields) throw invalid_request("more than 8 form fields");
  if (!repeated.empty()) throw invalid_request(repeated + " is given twice", repeated);
  if (!whole)
    throw invalid_request("the body must be multipart/form-data with one `file` and a `purpose`");
  if (!staged) throw invalid_request("file: missing (a multipart part named `file`)", "file");
  const auto name = checked_filename(filename);
  const auto purpose = fields.count("purpose") ? fields["purpose"] : "";
  if (purpose.empty()) throw invalid_request("purpose is required", "purpose");
  if (purpose != "fine-tune")
    throw invalid_request("purpose \"" + purpose +
                              "\" is not supported by this server; it stores files for "
                              "\"fine-tune\"",
                          "purpose");
  std::optional<std::int64_t> expires_at;
  if (fields.count("expires_after[seconds]")) {
    std::int64_t seconds = 0;
    try {
      seconds = std::stoll(fields["expires_after[seconds]"]);
    } catch (const std::exception&) {
    }
    if (seconds < 3600 || seconds > 2592000)
      throw invalid_request("expires_after[seconds] must be in 3600..2592000",
                            "expires_after[seconds]");
    expires_at = unix_seconds() + seconds;
  }
  staged->finish();
  const auto facts = check_upload(staged->path(), name);
  res.body = files_.add(*staged, caller.owner, name, purpose, facts, expires_at).dump();
}

void FilesRoutes::list(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res) {
  const auto order = req.query_value("order", "desc");
  if (order != "asc" && order != "desc")
    throw invalid_request("order must be \"asc\" or \"desc\", got \"" + order + "\"", "order");
  const auto limit = page_limit(req, 10000, 10000);
  res.body = list_body([&] {
    return files_.list(caller.scope(), req.query_value("purpose"), req.query_value("after"), limit,
                       order == "desc");
  });
}

void FilesRoutes::get(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res) {
  const auto& id = req.path_params.at(0);
  auto file = files_.get(id, caller.scope());
  if (!file) throw no_such_file(id);
  res.body = file->dump();
}

void FilesRoutes::content(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res) {
  const auto& id = req.path_params.at(0);
  auto file = files_.get(id, caller.scope());
  if (!file) throw no_such_file(id);
  auto in = std::make_shared<std::ifstream>(files_.content_path(id), std::ios::binary);
  if (!*in) throw ApiError(500, "the content of " + id + " cannot be read", "server_error");
  const std::string name = (*file)["filename"];
  res.content_type = name.size() > 4 && name.substr(name.size() - 4) == ".csv"
                         ? "text/csv"
                         : "application/octet-stream";
  res.stream = [in](StreamSink& sink) {
    std::string buf(1 << 16, '\0');
    in->read(buf.data(), std::streamsize(buf.size()));
    const auto n = static_cast<std::size_t>(in->gcount());
    if (n == 0) {
      sink.done();
      return true;
    }
    buf.resize(n);
    return sink.write(buf);
  };
}

void FilesRoutes::remove(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res) {
  const auto& id = req.path_params.at(0);
  if (!files_.remove(id, caller.scope())) throw no_such_file(id);
  res.body = json{{"id", id}, {"object", "file"}, {"deleted", true}}.dump();
}

}  // namespace chosei
