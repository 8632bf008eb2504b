// The labeling store: sessions and items in one transaction, decisions as events that a
// repeated client id never doubles, the schema version kept and a newer file refused.
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
