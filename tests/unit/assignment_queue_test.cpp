// Assignment of labeling items: overlap never exceeded by concurrent leases, an expired lease
// gives its place back, nobody sees an item twice, undo and skip as events, idempotent retries.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "labeling/assignment_queue.h"

namespace chosei {
namespace {

struct QueueFixture : ::testing::Test {
  std::string path;
  std::unique_ptr<LabelStore> store;
  std::int64_t session = 0;

  void SetUp() override {
    path = (std::filesystem::temp_directory_path() /
            ("chosei_queue_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
               .string();
    store = std::make_unique<LabelStore>(path);
    std::vector<LabelItemInput> items;
    for (int i = 1; i <= 40; ++i) {
      LabelItemInput x;
      x.external_id = "q" + std::to_string(i);
      x.prompt_json = "[]";
      x.a.content = "first " + std::to_string(i);
      x.b.content = "second " + std::to_string(i);
      items.push_back(x);
    }
    session = store->create_session({"s", 2, "", 11}, items);
  }
  void TearDown() override {
    store.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  DecisionInput vote(const std::string& item, const std::string& who,
                     const std::string& client = "") {
    DecisionInput d;
    d.item = item;
    d.annotator = who;
    d.choice = LabelChoice::kA;
    d.client_id = client;
    return d;
  }
};

TEST_F(QueueFixture, LeasesNeverPushAnItemPastItsOverlap) {
  AssignmentQueue q(*store, session, 600);
  EXPECT_EQ(q.next("ana", 0)->item, "q1");
  EXPECT_EQ(q.next("ben", 0)->item, "q1");
  EXPECT_EQ(q.next("chi", 0)->item, "q2");  // q1 holds two leases already
  EXPECT_EQ(q.next("ana", 1)->item, "q1");  // the open lease comes back, not a new item
  EXPECT_TRUE(q.submit(vote("q1", "ana"), 2));
  EXPECT_EQ(q.next("ana", 3)->item, "q2");                   // never q1 again
  EXPECT_THROW(q.submit(vote("q1", "dev"), 4), LeaseError);  // no lease of dev's
  EXPECT_THROW(q.submit(vote("q2", "ben"), 4), LeaseError);  // ben holds q1, not q2
}

TEST_F(QueueFixture, AnExpiredLeaseGivesItsPlaceBack) {
  AssignmentQueue q(*store, session, 600);
  q.next("ana", 0);
  q.next("ben", 0);                           // q1 full by leases
  EXPECT_EQ(q.next("chi", 700)->item, "q1");  // both leases ran out: q1 is open again
  EXPECT_TRUE(q.submit(vote("q1", "chi"), 701));
  EXPECT_TRUE(q.submit(vote("q1", "ana"), 702));               // late, but q1 still had room
  EXPECT_THROW(q.submit(vote("q1", "ben"), 703), LeaseError);  // now full without ben
  EXPECT_EQ(q.next("ben", 704)->item, "q2");  // the lapsed lease is not handed back
}

TEST_F(QueueFixture, ProgressCountsAnItemWhoseLeasesRanOutAsAvailable) {
  AssignmentQueue q(*store, session, 600);
  const auto items = store->items(session).size();
  q.next("ana", 0);
  q.next("ben", 0);  // q1 full by leases
  EXPECT_EQ(q.progress("chi", 1).available, static_cast<std::int64_t>(items) - 1);
  EXPECT_EQ(q.progress("chi", 700).available, static_cast<std::int64_t>(items));
  EXPECT_EQ(q.progress("ana", 1).open, 1);
  EXPECT_EQ(q.progress("ana", 1).available, static_cast<std::int64_t>(items) - 1);
}

TEST_F(QueueFixture, RetriesStoreNothingTwice) {
  AssignmentQueue q(*store, session, 600);
  q.next("ana", 0);
  EXPECT_TRUE(q.submit(vote("q1", "ana", "c1"), 1));
  EXPECT_FALSE(q.submit(vote("q1", "ana", "c1"), 2));  // the page retried after a timeout
  EXPECT_EQ(store->standing_decisions(session).size(), 1u);
}

TEST_F(QueueFixture, UndoReopensTheLastDecisionAndSkipGivesAnItemAway) {
  AssignmentQueue q(*store, session, 600);
  const auto first = q.next("ana", 0);
  q.submit(vote("q1", "ana", "c1"), 1);
  q.next("ana", 2);
  q.submit(vote("q2", "ana", "c2"), 3);
  EXPECT_EQ(q.undo("ana", "u1", 4), "q2");
  EXPECT_EQ(q.undo("ana", "u1", 5), "q2");  // a retried undo does nothing more
  EXPECT_EQ(store->standing_decisions(session).size(), 1u);
  EXPECT_EQ(q.next("ana", 6)->item, "q2");
  EXPECT_EQ(q.undo("ana", "u2", 7), "q1");  // walks back further
  EXPECT_TRUE(store->standing_decisions(session).empty());
  const auto again = q.next("ana", 8);  // the most recently reopened first
  EXPECT_EQ(again->item, "q1");
  EXPECT_EQ(again->left_slot, first->left_slot);  // the side is the stored one
  EXPECT_TRUE(q.skip("ana", "q1", "s1", 9));
  EXPECT_FALSE(q.skip("ana", "q1", "s1", 10));
  EXPECT_EQ(q.next("ana", 11)->item, "q2");
  EXPECT_TRUE(q.submit(vote("q2", "ana"), 12));
  EXPECT_EQ(q.next("ana", 13)->item, "q3");  // q1 was skipped: never offered again
  EXPECT_EQ(q.next("ben", 14)->item, "q1");  // but it goes to someone else
  EXPECT_FALSE(q.undo("zed", "", 15).has_value());
}

TEST_F(QueueFixture, SidesAreDrawnPerAnnotatorAndItemAndShownAccordingly) {
  AssignmentQueue q(*store, session, 600);
  std::set<std::string> seen;
  int left_a = 0;
  for (int i = 0; i < 40; ++i) {
    const auto item = q.next("ana", i);
    ASSERT_TRUE(item);
    seen.insert(item->item);
    left_a += item->left_slot == "a";
    const bool a_left = item->left_slot == "a";
    EXPECT_EQ(item->left.rfind(a_left ? "first" : "second", 0), 0u) << item->left;
    q.submit(vote(item->item, "ana"), i + 0.5);
  }
  EXPECT_EQ(seen.size(), 40u);
  EXPECT_GT(left_a, 10);  // both sides drawn (binomial(40, 0.5): 10..30 with p > 0.999)
  EXPECT_LT(left_a, 30);
  EXPECT_FALSE(q.next("ana", 100).has_value());
  const auto p = q.progress("ana", 100);
  EXPECT_EQ(p.done, 40);
  EXPECT_EQ(p.available, 0);
  EXPECT_EQ(p.session_done, 40);
  EXPECT_EQ(p.session_needed, 80);
}

}  // namespace
}  // namespace chosei
