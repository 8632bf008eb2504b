#pragma once
// FileStore: the files of `/v1/files`. Content lives under DATA/files/ (one file per id,
// written by the upload as it streams, renamed into place once whole); the API object and
// its owner in the database. Every lookup takes the caller's owner: another key's file is
// "no such file", the admin (owner nullopt) sees all.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "finetune/finetune_database.h"

namespace chosei {

// What validation found in a file (finetune/upload_check.h).
struct FileFacts {
  std::string status = "processed";  // or "error"
  std::string status_details;        // the findings when status is error
  std::string kind;                  // "chat", "preference" or "" (not training data)
  std::int64_t examples = 0;
};

// An upload being written to the files folder: appended as it streams, fsynced when whole,
// and removed unless FileStore::add takes it.
class StagedUpload {
 public:
  explicit StagedUpload(std::string path);
  ~StagedUpload();
  StagedUpload(const StagedUpload&) = delete;
  StagedUpload& operator=(const StagedUpload&) = delete;

  void write(const char* data, std::size_t n);  // throws std::runtime_error (disk full)
  void finish();                                // fsync and close
  std::int64_t bytes() const { return bytes_; }
  const std::string& path() const { return path_; }
  void release() { kept_ = true; }

 private:
  std::string path_;
  int fd_ = -1;
  std::int64_t bytes_ = 0;
  bool kept_ = false;
};

class FileStore {
 public:
  FileStore(FinetuneDatabase& db, std::string dir);

  // A new upload in the files folder.
  std::unique_ptr<StagedUpload> stage() const;
  // Moves the finished upload into place and records it; returns the file object.
  nlohmann::json add(StagedUpload& staged, const std::string& owner, const std::string& filename,
                     const std::string& purpose, const FileFacts& facts,
                     std::optional<std::int64_t> expires_at = std::nullopt);
  std::optional<nlohmann::json> get(const std::string& id,
                                    const std::optional<std::string>& owner) const;
  // The kind and example count validation recorded.
  FileFacts facts(const std::string& id) const;
  ObjectPage list(const std::optional<std::string>& owner, const std::string& purpose,
                  const std::string& after, std::int64_t limit, bool newest_first) const;
  // False when there is no such file for this owner.
  // Deletes the files whose expires_after has passed (as OpenAI does); returns how many.
  int remove_expired(std::int64_t now);
  bool remove(const std::string& id, const std::optional<std::string>& owner);
  std::string content_path(const std::string& id) const;

 private:
  FinetuneDatabase& db_;
  std::string dir_;
};

}  // namespace chosei
