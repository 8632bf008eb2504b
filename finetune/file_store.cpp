#include "finetune/file_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "base/atomic_file.h"
#include "finetune/object_id.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace chosei {

FileStore::FileStore(FinetuneDatabase& db, std::string dir) : db_(db), dir_(std::move(dir)) {
  fs::create_directories(dir_);
  // Uploads a killed server left half-written are not files of anyone.
  for (const auto& entry : fs::directory_iterator(dir_))
    if (entry.path().filename().string().rfind("upload-", 0) == 0) fs::remove(entry.path());
}

StagedUpload::StagedUpload(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error(path_ + ": cannot create: " + std::strerror(errno));
}

StagedUpload::~StagedUpload() {
  if (fd_ >= 0) ::close(fd_);
  if (!kept_) ::unlink(path_.c_str());
}

void StagedUpload::write(const char* data, std::size_t n) {
  while (n > 0) {
    const auto w = ::write(fd_, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw std::runtime_error(path_ + ": cannot write: " + std::strerror(errno));
    data += w, n -= static_cast<std::size_t>(w), bytes_ += w;
  }
}

void StagedUpload::finish() {
  if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
    fd_ = -1;
    throw std::runtime_error(path_ + ": cannot sync: " + std::strerror(errno));
  }
  fd_ = -1;
}

std::unique_ptr<StagedUpload> FileStore::stage() const {
  return std::make_unique<StagedUpload>(
      (fs::path(dir_) / random_object_id("upload-", 16)).string());
}

std::string FileStore::content_path(const std::string& id) const {
  return (fs::path(dir_) / id).string();
}

json FileStore::add(StagedUpload& staged, const std::string& owner, const std::string& filename,
                    const std::string& purpose, const FileFacts& facts,
                    std::optional<std::int64_t> expires_at) {
  const auto id = random_object_id("file-");
  json object = {{"id", id},
                 {"object", "file"},
                 {"bytes", staged.bytes()},
                 {"created_at", unix_seconds()},
                 {"expires_at", expires_at ? json(*expires_at) : json(nullptr)},
                 {"filename", filename},
                 {"purpose", purpose},
                 {"status", facts.status},
                 {"status_details",
                  facts.status_details.empty() ? json(nullptr) : json(facts.status_details)}};
  fs::rename(staged.path(), content_path(id));
  staged.release();
  sync_directory(dir_);
  db_.with([&](SqliteDatabase& db) {
    db.prepare(
          "INSERT INTO files (id, owner, purpose, object, kind, examples) VALUES (?1, ?2, "
          "?3, ?4, ?5, ?6)")
        .bind(1, id)
        .bind(2, owner)
        .bind(3, purpose)
        .bind(4, object.dump())
        .bind(5, facts.kind)
        .bind(6, facts.examples)
        .run();
  });
  return object;
}

std::optional<json> FileStore::get(const std::string& id,
                                   const std::optional<std::string>& owner) const {
  return db_.with([&](SqliteDatabase& db) -> std::optional<json> {
    auto st = db.prepare("SELECT object, owner FROM files WHERE id = ?1");
    st.bind(1, id);
    if (!st.step() || (owner && st.text(1) != *owner)) return std::nullopt;
    return json::parse(st.text(0));
  });
}

FileFacts FileStore::facts(const std::string& id) const {
  return db_.with([&](SqliteDatabase& db) {
    auto st = db.prepare("SELECT kind, examples, object FROM files WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) throw std::invalid_argument("no file " + id);
    FileFacts f;
    f.kind = st.text(0);
    f.examples = st.int64(1);
    const auto object = json::parse(st.text(2));
    f.status = object.value("status", "");
    if (object["status_details"].is_string()) f.status_details = object["status_details"];
    return f;
  });
}

ObjectPage FileStore::list(const std::optional<std::string>& owner, const std::string& purpose,
                           const std::string& after, std::int64_t limit, bool newest_first) const {
  PageQuery q;
  q.table = "files";
  if (owner) q.equals.emplace_back("owner", *owner);
  if (!purpose.empty()) q.equals.emplace_back("purpose", purpose);
  q.after = after;
  q.limit = limit;
  q.newest_first = newest_first;
  return db_.with([&](SqliteDatabase& db) { return list_objects(db, q); });
}

bool FileStore::remove(const std::string& id, const std::optional<std::string>& owner) {
  if (!get(id, owner)) return false;
  db_.with(
      [&](SqliteDatabase& db) { db.prepare("DELETE FROM files WHERE id = ?1").bind(1, id).run(); });
  std::error_code ignored;
  fs::remove(content_path(id), ignored);
  return true;
}

int FileStore::remove_expired(std::int64_t now) {
  const auto ids = db_.with([&](SqliteDatabase& db) {
    auto st = db.prepare("SELECT id FROM files WHERE json_extract(object, '$.expires_at') <= ?1");
    st.bind(1, now);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.text(0));
    return out;
  });
  for (const auto& id : ids) remove(id, std::nullopt);
  return static_cast<int>(ids.size());
}

}  // namespace chosei
