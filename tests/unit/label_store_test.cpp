// The labeling store: sessions and items in one transaction, decisions as events that a
// repeated client id never doubles, the schema version kept, an older file migrated and a
// newer one refused.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "labeling/label_store.h"

namespace chosei {
namespace {

struct TempDb {
  std::string path;
  TempDb() {
    path = (std::filesystem::temp_directory_path() / ("chosei_label_" + std::to_string(::getpid()) +
                                                      "_" + std::to_string(++counter) + ".db"))
               .string();
  }
  ~TempDb() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  static inline int counter = 0;
};

std::vector<LabelItemInput> two_items() {
  LabelItemInput x;
  x.external_id = "q1";
  x.prompt_json = R"([{"role":"user","content":"hi"}])";
  x.a.content = "hello";
  x.b.content = "go away";
  auto y = x;
  y.external_id = "q2";
  y.a.model = "big";
  y.b.model = "small";
  return {x, y};
}

DecisionInput vote(const std::string& item, const std::string& who, LabelChoice c,
                   const std::string& client = "") {
  DecisionInput d;
  d.item = item;
  d.annotator = who;
  d.choice = c;
  d.client_id = client;
  return d;
}

TEST(LabelStore, SessionsItemsAndTheirAnswersSurviveReopening) {
  TempDb t;
  {
    LabelStore s(t.path);
    EXPECT_EQ(s.schema_version(), LabelStore::kSchemaVersion);
    s.create_session({"first", 2, "# Be kind", 7}, two_items());
  }
  LabelStore s(t.path);
  const auto all = s.sessions();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "first");
  EXPECT_EQ(all[0].overlap, 2);
  EXPECT_EQ(all[0].items, 2);
  EXPECT_THROW(s.create_session({"first", 1, "", 0}, two_items()), std::invalid_argument);
  auto dup = two_items();
  dup[1].external_id = "q1";
  try {
    s.create_session({"second", 1, "", 0}, dup);
    FAIL() << "two items with one id were stored";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("q1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(s.sessions().size(), 1u);  // the failed session left nothing behind
}

TEST(LabelStore, ARepeatedClientIdStoresNothingTwiceAndTheLatestDecisionStands) {
  TempDb t;
  LabelStore s(t.path);
  const auto id = s.create_session({"s", 2, "", 0}, two_items());
  EXPECT_TRUE(s.record_decision(id, vote("q1", "ana", LabelChoice::kA, "c1")));
  EXPECT_FALSE(s.record_decision(id, vote("q1", "ana", LabelChoice::kB, "c1")));
  EXPECT_TRUE(s.record_decision(id, vote("q2", "ana", LabelChoice::kTie, "c2")));
  EXPECT_TRUE(s.record_decision(id, vote("q2", "ana", LabelChoice::kB, "c3")));  // changed mind
  EXPECT_TRUE(s.record_decision(id, vote("q2", "ben", LabelChoice::kBothBad)));
  const auto d = s.standing_decisions(id);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].item_external_id, "q1");
  EXPECT_EQ(d[0].choice, LabelChoice::kA);
  EXPECT_EQ(d[1].annotator, "ana");
  EXPECT_EQ(d[1].choice, LabelChoice::kB);
  EXPECT_EQ(d[1].model_a, "big");
  EXPECT_EQ(d[2].choice, LabelChoice::kBothBad);
  EXPECT_THROW(s.record_decision(id, vote("nope", "ana", LabelChoice::kA)), std::invalid_argument);
}

TEST(LabelStore, ABatchIsStoredWholeOrNotAtAll) {
  TempDb t;
  LabelStore s(t.path);
  const auto id = s.create_session({"s", 1, "", 0}, two_items());
  try {
    s.record_decisions(
        {{id, vote("q1", "ana", LabelChoice::kA)}, {id, vote("zz", "ana", LabelChoice::kA)}});
    FAIL() << "a decision for a missing item was stored";
  } catch (const DecisionError& e) {
    EXPECT_EQ(e.index, 1u);
  }
  EXPECT_TRUE(s.standing_decisions(id).empty());
}

// What chosei wrote at schema version 1 (the first release of labeling), kept verbatim here
// so the migration is tested against the file format, not against the current code's copy.
const char* const kVersion1File = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sessions (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  overlap INTEGER NOT NULL CHECK (overlap >= 1), guidelines TEXT NOT NULL DEFAULT '',
  seed INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL);
CREATE TABLE items (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
  external_id TEXT NOT NULL, prompt TEXT NOT NULL, position INTEGER NOT NULL,
  UNIQUE (session_id, external_id));
CREATE TABLE answers (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id),
  slot TEXT NOT NULL CHECK (slot IN ('a', 'b')), content TEXT NOT NULL,
  model TEXT NOT NULL DEFAULT '', seed INTEGER, sampling TEXT NOT NULL DEFAULT '',
  UNIQUE (item_id, slot));
CREATE TABLE annotators (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE assignments (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id),
  annotator_id INTEGER NOT NULL REFERENCES annotators(id),
  left_slot TEXT CHECK (left_slot IN ('a', 'b')),
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'decided', 'skipped', 'lapsed')),
  leased_at REAL NOT NULL, lease_until REAL NOT NULL, UNIQUE (item_id, annotator_id));
CREATE TABLE events (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id),
  annotator_id INTEGER NOT NULL REFERENCES annotators(id),
  kind TEXT NOT NULL CHECK (kind IN ('decision', 'skip', 'undo')),
  choice TEXT CHECK (choice IN ('a', 'b', 'tie', 'both_bad')),
  strength INTEGER NOT NULL DEFAULT 1, reason TEXT NOT NULL DEFAULT '',
  left_slot TEXT CHECK (left_slot IN ('a', 'b')), seconds REAL,
  client_id TEXT UNIQUE, source TEXT NOT NULL, supersedes INTEGER REFERENCES events(id),
  created_at REAL NOT NULL);
CREATE INDEX events_by_item ON events (item_id, annotator_id);
INSERT INTO sessions VALUES (1, 'old', 2, '# Guide', 5, 1700000000);
INSERT INTO items VALUES (1, 1, 'q1', '[{"role":"user","content":"hi"}]', 0);
INSERT INTO answers VALUES (1, 1, 'a', 'hello', '', NULL, ''), (2, 1, 'b', 'go away', '', NULL, '');
INSERT INTO annotators VALUES (1, 'ana');
INSERT INTO events VALUES (1, 1, 1, 'decision', 'a', 2, 'polite', 'b', 3.5, 'c1', 'page', NULL,
  1700000100);
PRAGMA user_version = 1;
)sql";

TEST(LabelStore, AVersion1FileIsMigratedWithItsSessionsAndDecisions) {
  TempDb t;
  {
    SqliteDatabase raw(t.path);
    raw.exec(kVersion1File);
  }
  LabelStore s(t.path);
  EXPECT_EQ(s.schema_version(), 2);
  const auto all = s.sessions();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "old");
  EXPECT_EQ(all[0].guidelines, "# Guide");
  EXPECT_EQ(all[0].break_minutes, 45);  // the version-2 column's default
  const auto d = s.standing_decisions(1);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].annotator, "ana");
  EXPECT_EQ(d[0].choice, LabelChoice::kA);
  EXPECT_EQ(d[0].strength, 2);
  EXPECT_EQ(d[0].left_slot, std::optional<std::string>("b"));
  EXPECT_DOUBLE_EQ(d[0].created_at, 1700000100);
  EXPECT_FALSE(s.record_decision(1, vote("q1", "ana", LabelChoice::kB, "c1")));  // ids kept
  EXPECT_EQ(s.create_session({"new", 1, "", 0, 10}, two_items()), 2);
  EXPECT_EQ(s.session(2).break_minutes, 10);
}

TEST(LabelStore, AFileFromANewerChoseiIsRefused) {
  TempDb t;
  { LabelStore s(t.path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(t.path.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    LabelStore s(t.path);
    FAIL() << "opened a schema-99 file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("99"), std::string::npos) << e.what();
  }
}

TEST(LabelStore, TheDatabaseIsInWalModeWithForeignKeys) {
  TempDb t;
  SqliteDatabase db(t.path);
  auto mode = db.prepare("PRAGMA journal_mode");
  mode.step();
  EXPECT_EQ(mode.text(0), "wal");
  auto fk = db.prepare("PRAGMA foreign_keys");
  fk.step();
  EXPECT_EQ(fk.int64(0), 1);
  auto sync = db.prepare("PRAGMA synchronous");
  sync.step();
  EXPECT_EQ(sync.int64(0), 2);  // FULL
}

}  // namespace
}  // namespace chosei
