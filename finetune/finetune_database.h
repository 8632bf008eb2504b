#pragma once
// The fine-tuning service's SQLite database (DATA/finetune.db, WAL): files, jobs, their
// events and checkpoints, and idempotency keys. The HTTP threads and the job runner share
// one connection, one of them in it at a time.

#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/sqlite_database.h"

namespace chosei {

class FinetuneDatabase {
 public:
  // Opens or creates the database and its tables.
  explicit FinetuneDatabase(const std::string& path);

  // Runs `body` holding the connection; `transaction` also inside one IMMEDIATE transaction.
  template <class F>
  auto with(F&& body) {
    std::lock_guard<std::mutex> lock(mutex_);
    return body(db_);
  }
  void transaction(const std::function<void(SqliteDatabase&)>& body);

 private:
  std::mutex mutex_;
  SqliteDatabase db_;
};

// Seconds since the epoch, as the API's created_at fields count.
std::int64_t unix_seconds();

}  // namespace chosei

namespace chosei {

// One page of a list route: the objects, and whether more follow the last one.
struct ObjectPage {
  std::vector<nlohmann::json> data;
  bool has_more = false;
};

// Which rows of a table a list route shows: those whose columns equal the given values,
// after the object with id `after` (in the page's order), at most `limit`, newest first or
// oldest first, and passing `keep` (a filter on the object, e.g. metadata) when set.
struct PageQuery {
  std::string table;
  std::vector<std::pair<std::string, std::string>> equals;  // column names from code only
  std::string after;
  std::int64_t limit = 20;
  bool newest_first = true;
  std::function<bool(const nlohmann::json&)> keep;
};

// Throws std::invalid_argument when `after` names no row of the query.
ObjectPage list_objects(SqliteDatabase& db, const PageQuery& query);

}  // namespace chosei
