#include "labeling/assignment_queue.h"

namespace chosei {

namespace {

// Places an item has taken: decided, or leased and the lease still running.
constexpr const char* kTaken =
    "(SELECT COUNT(*) FROM assignments t WHERE t.item_id = i.id AND t.annotator_id != ?3 AND "
    "(t.state = 'decided' OR (t.state = 'open' AND t.lease_until > ?4)))";

// Items the annotator could be given: never assigned to them, and with room left by the
// decisions and running leases of the others (a lease that ran out is room again).
// Parameters: ?1 session, ?2 and ?3 the annotator, ?4 now, ?5 the overlap.
const std::string kAvailable =
    std::string(
        "FROM items i WHERE i.session_id = ?1 AND NOT EXISTS (SELECT 1 FROM assignments s "
        "WHERE s.item_id = i.id AND s.annotator_id = ?2) AND ") +
    kTaken + " < ?5";

SqliteStatement& bind_available(SqliteStatement& s, std::int64_t session, std::int64_t who,
                                double now, int overlap) {
  return s.bind(1, session)
      .bind(2, who)
      .bind(3, who)
      .bind(4, now)
      .bind(5, static_cast<std::int64_t>(overlap));
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

AssignmentQueue::AssignmentQueue(LabelStore& store, std::int64_t session, double lease_seconds)
    : store_(store), session_(session), lease_seconds_(lease_seconds) {
  auto s = store_.database().prepare("SELECT overlap, seed FROM sessions WHERE id = ?1");
  if (!s.bind(1, session).step())
    throw std::invalid_argument("no labeling session with id " + std::to_string(session));
  overlap_ = static_cast<int>(s.int64(0));
  seed_ = s.int64(1);
}

bool AssignmentQueue::client_seen(const std::string& client_id) {
  if (client_id.empty()) return false;
  auto s = store_.database().prepare("SELECT 1 FROM events WHERE client_id = ?1");
  return s.bind(1, client_id).step();
}

// The annotator's open assignment, its lease renewed, if the item still has room for them.
std::optional<AssignedItem> AssignmentQueue::open_item(std::int64_t annotator, double now) {
  auto& db = store_.database();
  auto s = db.prepare(std::string("SELECT a.id, i.external_id, i.prompt, a.left_slot, ") + kTaken +
                      " FROM assignments a JOIN items i ON i.id = a.item_id "
                      "WHERE i.session_id = ?1 AND a.annotator_id = ?2 AND a.state = 'open' "
                      "ORDER BY a.leased_at DESC, a.id DESC");
  s.bind(1, session_).bind(2, annotator).bind(3, annotator).bind(4, now);
  while (s.step()) {
    const std::int64_t id = s.int64(0);
    if (s.int64(4) >= overlap_) {  // the lease ran out and others filled the item
      db.prepare("UPDATE assignments SET state = 'lapsed' WHERE id = ?1").bind(1, id).run();
      continue;
    }
    AssignedItem item;
    item.item = s.text(1);
    item.prompt_json = s.text(2);
    item.left_slot = s.text(3);
    item.lease_until = now + lease_seconds_;
    db.prepare("UPDATE assignments SET lease_until = ?1 WHERE id = ?2")
        .bind(1, item.lease_until)
        .bind(2, id)
        .run();
    return item;
  }
  return std::nullopt;
}

std::optional<AssignedItem> AssignmentQueue::next(const std::string& annotator, double now) {
  std::optional<AssignedItem> out;
  auto& db = store_.database();
  db.transaction([&] {
    const std::int64_t who = store_.annotator_id(annotator);
    out = open_item(who, now);
    if (!out) {
      auto pick = db.prepare("SELECT i.id, i.external_id, i.prompt " + kAvailable +
                             " ORDER BY i.position LIMIT 1");
      if (!bind_available(pick, session_, who, now, overlap_).step()) return;
      const std::int64_t item = pick.int64(0);
      AssignedItem a;
      a.item = pick.text(1);
      a.prompt_json = pick.text(2);
      const auto draw = splitmix64(
          static_cast<std::uint64_t>(seed_) ^
          splitmix64(static_cast<std::uint64_t>(who) << 32 ^ static_cast<std::uint64_t>(item)));
      a.left_slot = draw & 1 ? "b" : "a";
      a.lease_until = now + lease_seconds_;
      db.prepare(
            "INSERT INTO assignments (item_id, annotator_id, left_slot, state, leased_at, "
            "lease_until) VALUES (?1, ?2, ?3, 'open', ?4, ?5)")
          .bind(1, item)
          .bind(2, who)
          .bind(3, a.left_slot)
          .bind(4, now)
          .bind(5, a.lease_until)
          .run();
      out = a;
    }
    auto answers = db.prepare(
        "SELECT n.slot, n.content FROM answers n JOIN items i ON i.id = n.item_id "
        "WHERE i.session_id = ?1 AND i.external_id = ?2");
    answers.bind(1, session_).bind(2, out->item);
    while (answers.step())
      (answers.text(0) == out->left_slot ? out->left : out->right) = answers.text(1);
  });
  return out;
}

namespace {

struct Lease {
  std::int64_t assignment = 0, item = 0, annotator = 0;
  std::string left_slot;
};

// The annotator's open lease on `item`, usable at `now`; throws LeaseError otherwise.
Lease held_lease(SqliteDatabase& db, LabelStore& store, std::int64_t session, int overlap,
                 const std::string& annotator, const std::string& item, double now) {
  const std::int64_t who = store.annotator_id(annotator);
  auto s = db.prepare(std::string("SELECT a.id, i.id, a.left_slot, a.lease_until, ") + kTaken +
                      " FROM assignments a JOIN items i ON i.id = a.item_id "
                      "WHERE i.session_id = ?1 AND i.external_id = ?2 AND a.annotator_id = ?3 AND "
                      "a.state = 'open'");
  s.bind(1, session).bind(2, item).bind(3, who).bind(4, now);
  if (!s.step()) throw LeaseError("item \"" + item + "\" is not leased to " + annotator);
  if (s.real(3) < now && s.int64(4) >= overlap)
    throw LeaseError("the lease of " + annotator + " on item \"" + item +
                     "\" ran out and other annotators have filled it");
  return {s.int64(0), s.int64(1), who, s.text(2)};
}

}  // namespace

bool AssignmentQueue::submit(DecisionInput d, double now) {
  return store_decision(std::move(d), nullptr, now);
}

bool AssignmentQueue::submit_by_side(DecisionInput d, const std::string& side, double now) {
  if (side != "left" && side != "right" && side != "tie" && side != "both_bad")
    throw std::invalid_argument("choice \"" + side + "\" is not one of left, right, tie, both_bad");
  return store_decision(std::move(d), &side, now);
}

bool AssignmentQueue::store_decision(DecisionInput d, const std::string* side, double now) {
  bool stored = false;
  auto& db = store_.database();
  db.transaction([&] {
    if (client_seen(d.client_id)) return;
    const auto lease = held_lease(db, store_, session_, overlap_, d.annotator, d.item, now);
    d.left_slot = lease.left_slot;
    if (side && (*side == "left" || *side == "right")) {
      const bool a = (*side == "left") == (lease.left_slot == "a");
      d.choice = a ? LabelChoice::kA : LabelChoice::kB;
    } else if (side) {
      d.choice = parse_label_choice(*side);
    }
    stored = store_.insert_decision(session_, d);
  });
  return stored;
}

bool AssignmentQueue::skip(const std::string& annotator, const std::string& item,
                           const std::string& client_id, double now) {
  bool stored = false;
  auto& db = store_.database();
  db.transaction([&] {
    if (client_seen(client_id)) return;
    const auto lease = held_lease(db, store_, session_, overlap_, annotator, item, now);
    std::optional<std::string> client;
    if (!client_id.empty()) client = client_id;
    db.prepare(
          "INSERT INTO events (item_id, annotator_id, kind, left_slot, client_id, source, "
          "created_at) VALUES (?1, ?2, 'skip', ?3, ?4, 'page', ?5)")
        .bind(1, lease.item)
        .bind(2, lease.annotator)
        .bind(3, lease.left_slot)
        .bind(4, client)
        .bind(5, now)
        .run();
    db.prepare("UPDATE assignments SET state = 'skipped' WHERE id = ?1")
        .bind(1, lease.assignment)
        .run();
    stored = true;
  });
  return stored;
}

std::optional<std::string> AssignmentQueue::undo(const std::string& annotator,
                                                 const std::string& client_id, double now) {
  std::optional<std::string> out;
  auto& db = store_.database();
  db.transaction([&] {
    if (!client_id.empty()) {  // a retried undo answers with the item it reopened
      auto seen = db.prepare(
          "SELECT i.external_id FROM events u JOIN events e ON e.id = u.supersedes "
          "JOIN items i ON i.id = e.item_id WHERE u.client_id = ?1");
      if (seen.bind(1, client_id).step()) {
        out = seen.text(0);
        return;
      }
    }
    const std::int64_t who = store_.annotator_id(annotator);
    auto last = db.prepare(
        "SELECT e.id, e.item_id, i.external_id FROM events e JOIN items i ON i.id = e.item_id "
        "WHERE i.session_id = ?1 AND e.annotator_id = ?2 AND e.kind = 'decision' AND NOT EXISTS "
        "(SELECT 1 FROM events u WHERE u.kind = 'undo' AND u.supersedes = e.id) "
        "ORDER BY e.id DESC LIMIT 1");
    if (!last.bind(1, session_).bind(2, who).step()) return;
    const std::int64_t event = last.int64(0), item = last.int64(1);
    out = last.text(2);
    std::optional<std::string> client;
    if (!client_id.empty()) client = client_id;
    db.prepare(
          "INSERT INTO events (item_id, annotator_id, kind, client_id, source, supersedes, "
          "created_at) VALUES (?1, ?2, 'undo', ?3, 'page', ?4, ?5)")
        .bind(1, item)
        .bind(2, who)
        .bind(3, client)
        .bind(4, event)
        .bind(5, now)
        .run();
    db.prepare(
          "UPDATE assignments SET state = 'open', leased_at = ?1, lease_until = ?2 "
          "WHERE item_id = ?3 AND annotator_id = ?4")
        .bind(1, now)
        .bind(2, now + lease_seconds_)
        .bind(3, item)
        .bind(4, who)
        .run();
  });
  return out;
}

AnnotatorProgress AssignmentQueue::progress(const std::string& annotator, double now) {
  AnnotatorProgress p;
  auto& db = store_.database();
  const std::int64_t who = store_.annotator_id(annotator);
  auto s = db.prepare(
      "SELECT "
      "(SELECT COUNT(*) FROM assignments a JOIN items i ON i.id = a.item_id "
      " WHERE i.session_id = ?1 AND a.annotator_id = ?2 AND a.state = 'decided'), "
      "(SELECT COUNT(*) FROM assignments a JOIN items i ON i.id = a.item_id "
      " WHERE i.session_id = ?1 AND a.state = 'decided'), "
      "(SELECT COUNT(*) FROM items WHERE session_id = ?1), "
      "(SELECT COUNT(*) FROM assignments a JOIN items i ON i.id = a.item_id "
      " WHERE i.session_id = ?1 AND a.annotator_id = ?2 AND a.state = 'open')");
  s.bind(1, session_).bind(2, who).step();
  p.done = s.int64(0);
  p.session_done = s.int64(1);
  p.session_needed = s.int64(2) * overlap_;
  p.open = s.int64(3);
  auto avail = db.prepare("SELECT COUNT(*) " + kAvailable);
  bind_available(avail, session_, who, now, overlap_).step();
  p.available = avail.int64(0);
  return p;
}

}  // namespace chosei
