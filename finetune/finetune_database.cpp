#include "finetune/finetune_database.h"

#include <chrono>

namespace chosei {

namespace {

// Objects keep their API JSON whole in `object`; the columns beside it are what queries
// filter and order by. `seq` orders them as they were made (ids are random).
const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS files (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  purpose TEXT NOT NULL,
  object TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT '',
  examples INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  status TEXT NOT NULL,
  object TEXT NOT NULL,
  internal TEXT NOT NULL,
  idempotency_key TEXT,
  UNIQUE (owner, idempotency_key)
);
CREATE TABLE IF NOT EXISTS job_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  job_id TEXT NOT NULL REFERENCES jobs(id),
  object TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_events_by_job ON job_events(job_id, seq);
CREATE TABLE IF NOT EXISTS job_checkpoints (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  job_id TEXT NOT NULL REFERENCES jobs(id),
  step INTEGER NOT NULL,
  object TEXT NOT NULL,
  UNIQUE (job_id, step)
);
)SQL";

}  // namespace

FinetuneDatabase::FinetuneDatabase(const std::string& path) : db_(path) { db_.exec(kSchema); }

void FinetuneDatabase::transaction(const std::function<void(SqliteDatabase&)>& body) {
  std::lock_guard<std::mutex> lock(mutex_);
  db_.transaction([&] { body(db_); });
}

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace chosei

namespace chosei {

ObjectPage list_objects(SqliteDatabase& db, const PageQuery& q) {
  std::string where = "1";
  for (std::size_t i = 0; i < q.equals.size(); ++i)
    where += " AND " + q.equals[i].first + " = ?" + std::to_string(i + 1);
  std::optional<std::int64_t> after_seq;
  if (!q.after.empty()) {
    auto find = db.prepare("SELECT seq FROM " + q.table + " WHERE id = ?1 AND " + [&] {
      std::string w = "1";
      for (std::size_t i = 0; i < q.equals.size(); ++i)
        w += " AND " + q.equals[i].first + " = ?" + std::to_string(i + 2);
      return w;
    }());
    find.bind(1, q.after);
    for (std::size_t i = 0; i < q.equals.size(); ++i) find.bind(int(i) + 2, q.equals[i].second);
    if (!find.step()) throw std::invalid_argument("after: no object " + q.after + " in this list");
    after_seq = find.int64(0);
  }
  const int after_index = int(q.equals.size()) + 1;
  if (after_seq)
    where += std::string(" AND seq ") + (q.newest_first ? "<" : ">") + " ?" +
             std::to_string(after_index);
  auto st = db.prepare("SELECT object FROM " + q.table + " WHERE " + where + " ORDER BY seq " +
                       (q.newest_first ? "DESC" : "ASC"));
  for (std::size_t i = 0; i < q.equals.size(); ++i) st.bind(int(i) + 1, q.equals[i].second);
  if (after_seq) st.bind(after_index, *after_seq);
  ObjectPage page;
  while (st.step()) {
    auto object = nlohmann::json::parse(st.text(0));
    if (q.keep && !q.keep(object)) continue;
    if (static_cast<std::int64_t>(page.data.size()) == q.limit) {
      page.has_more = true;
      break;
    }
    page.data.push_back(std::move(object));
  }
  return page;
}

}  // namespace chosei
