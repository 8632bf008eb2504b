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

ObjectPage list_objects(SqliteDatabase& db, const PageQuery& q) {
  // ?1 is the cursor (the id `after` names, then its seq); the column values follow.
  std::string where;
  for (std::size_t i = 0; i < q.equals.size(); ++i)
    where += " AND " + q.equals[i].first + " = ?" + std::to_string(i + 2);
  auto bind_equals = [&](SqliteStatement& st) {
    for (std::size_t i = 0; i < q.equals.size(); ++i) st.bind(int(i) + 2, q.equals[i].second);
  };
  std::optional<std::int64_t> after_seq;
  if (!q.after.empty()) {
    auto find = db.prepare("SELECT seq FROM " + q.table + " WHERE id = ?1" + where);
    find.bind(1, q.after);
    bind_equals(find);
    if (!find.step()) throw std::invalid_argument("after: no object " + q.after + " in this list");
    after_seq = find.int64(0);
  }
  // Without a filter on the objects the database stops at the page: one row more than the
  // limit tells whether more follow.
  const std::string limit = q.keep ? "" : " LIMIT " + std::to_string(q.limit + 1);
  auto st = db.prepare("SELECT object FROM " + q.table + " WHERE (?1 IS NULL OR seq " +
                       (q.newest_first ? "<" : ">") + " ?1)" + where + " ORDER BY seq " +
                       (q.newest_first ? "DESC" : "ASC") + limit);
  st.bind(1, after_seq);
  bind_equals(st);
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
