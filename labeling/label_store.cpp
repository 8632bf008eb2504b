#include "labeling/label_store.h"

#include <chrono>
#include <stdexcept>

namespace chosei {

namespace {

// Migration k takes a database from version k to k + 1; version 0 is an empty file.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  overlap INTEGER NOT NULL CHECK (overlap >= 1), guidelines TEXT NOT NULL DEFAULT '',
  seed INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL);
CREATE TABLE items (
  id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
  external_id TEXT NOT NULL, prompt TEXT NOT NULL, position INTEGER NOT NULL,
  UNIQUE (session_id, external_id));
CREATE TABLE answers (
  id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id),
  slot TEXT NOT NULL CHECK (slot IN ('a', 'b')), content TEXT NOT NULL,
  model TEXT NOT NULL DEFAULT '', seed INTEGER, sampling TEXT NOT NULL DEFAULT '',
  UNIQUE (item_id, slot));
CREATE TABLE annotators (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE assignments (
  id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id),
  annotator_id INTEGER NOT NULL REFERENCES annotators(id),
  left_slot TEXT CHECK (left_slot IN ('a', 'b')),
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'decided', 'skipped', 'lapsed')),
  leased_at REAL NOT NULL, lease_until REAL NOT NULL, UNIQUE (item_id, annotator_id));
CREATE TABLE events (
  id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id),
  annotator_id INTEGER NOT NULL REFERENCES annotators(id),
  kind TEXT NOT NULL CHECK (kind IN ('decision', 'skip', 'undo')),
  choice TEXT CHECK (choice IN ('a', 'b', 'tie', 'both_bad')),
  strength INTEGER NOT NULL DEFAULT 1, reason TEXT NOT NULL DEFAULT '',
  left_slot TEXT CHECK (left_slot IN ('a', 'b')), seconds REAL,
  client_id TEXT UNIQUE, source TEXT NOT NULL, supersedes INTEGER REFERENCES events(id),
  created_at REAL NOT NULL);
CREATE INDEX events_by_item ON events (item_id, annotator_id);
)sql",
    // 2: how long an annotator labels before the page suggests a break (0: never).
    R"sql(
ALTER TABLE sessions ADD COLUMN break_minutes INTEGER NOT NULL DEFAULT 45
  CHECK (break_minutes >= 0);
)sql",
};
constexpr int kMigrationCount = sizeof(kMigrations) / sizeof(kMigrations[0]);
static_assert(kMigrationCount == LabelStore::kSchemaVersion, "one migration per version");

double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string to_string(LabelChoice c) {
  switch (c) {
    case LabelChoice::kA:
      return "a";
    case LabelChoice::kB:
      return "b";
    case LabelChoice::kTie:
      return "tie";
    case LabelChoice::kBothBad:
      return "both_bad";
  }
  return "";
}

LabelChoice parse_label_choice(const std::string& s) {
  if (s == "a") return LabelChoice::kA;
  if (s == "b") return LabelChoice::kB;
  if (s == "tie") return LabelChoice::kTie;
  if (s == "both_bad") return LabelChoice::kBothBad;
  throw std::invalid_argument("choice \"" + s + "\" is not one of a, b, tie, both_bad");
}

LabelStore::LabelStore(const std::string& path) : db_(path) { migrate(); }

int LabelStore::schema_version() {
  auto s = db_.prepare("PRAGMA user_version");
  s.step();
  return static_cast<int>(s.int64(0));
}

void LabelStore::migrate() {
  db_.transaction([&] {
    const int version = schema_version();
    if (version > kSchemaVersion)
      throw std::runtime_error(db_.path() + ": schema version " + std::to_string(version) +
                               " is newer than this chosei's " + std::to_string(kSchemaVersion) +
                               "; use a newer chosei");
    for (int v = version; v < kSchemaVersion; ++v) {
      db_.exec(kMigrations[v]);
      db_.exec("PRAGMA user_version = " + std::to_string(v + 1));
    }
  });
}

std::int64_t LabelStore::create_session(const SessionSpec& spec,
                                        const std::vector<LabelItemInput>& items) {
  std::int64_t session = 0;
  db_.transaction([&] {
    auto taken = db_.prepare("SELECT 1 FROM sessions WHERE name = ?1");
    if (taken.bind(1, spec.name).step())
      throw std::invalid_argument("a session named \"" + spec.name + "\" already exists in " +
                                  db_.path());
    db_.prepare(
           "INSERT INTO sessions (name, overlap, guidelines, seed, created_at, break_minutes) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(1, spec.name)
        .bind(2, static_cast<std::int64_t>(spec.overlap))
        .bind(3, spec.guidelines)
        .bind(4, spec.seed)
        .bind(5, unix_seconds())
        .bind(6, static_cast<std::int64_t>(spec.break_minutes))
        .run();
    session = db_.last_insert_id();
    auto item = db_.prepare(
        "INSERT INTO items (session_id, external_id, prompt, position) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT DO NOTHING");
    auto answer = db_.prepare(
        "INSERT INTO answers (item_id, slot, content, model, seed, sampling) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto& x = items[i];
      item.bind(1, session).bind(2, x.external_id).bind(3, x.prompt_json);
      item.bind(4, static_cast<std::int64_t>(i)).run();
      if (db_.changes() == 0)
        throw std::invalid_argument("two items have the id \"" + x.external_id + "\"");
      const std::int64_t id = db_.last_insert_id();
      for (const auto& [slot, a] : {std::pair<const char*, const LabelAnswer&>{"a", x.a},
                                    std::pair<const char*, const LabelAnswer&>{"b", x.b}}) {
        answer.bind(1, id).bind(2, slot).bind(3, a.content).bind(4, a.model).bind(5, a.seed);
        answer.bind(6, a.sampling_json).run();
      }
    }
  });
  return session;
}

std::vector<SessionSummary> LabelStore::sessions() {
  std::vector<SessionSummary> out;
  auto s = db_.prepare(
      "SELECT s.id, s.name, s.overlap, (SELECT COUNT(*) FROM items i WHERE i.session_id = s.id), "
      "s.guidelines, s.break_minutes FROM sessions s ORDER BY s.id");
  while (s.step())
    out.push_back({s.int64(0), s.text(1), static_cast<int>(s.int64(2)), s.int64(3), s.text(4),
                   static_cast<int>(s.int64(5))});
  return out;
}

SessionSummary LabelStore::session(std::int64_t id) {
  for (auto& s : sessions())
    if (s.id == id) return s;
  throw std::invalid_argument(db_.path() + ": no session " + std::to_string(id));
}

std::optional<std::int64_t> LabelStore::only_session() {
  const auto all = sessions();
  if (all.size() != 1) return std::nullopt;
  return all[0].id;
}

std::int64_t LabelStore::session_id(const std::string& name) {
  auto s = db_.prepare("SELECT id FROM sessions WHERE name = ?1");
  if (!s.bind(1, name).step())
    throw std::invalid_argument(db_.path() + ": no session named \"" + name + "\"");
  return s.int64(0);
}

std::string LabelStore::session_name(std::int64_t session) {
  auto s = db_.prepare("SELECT name FROM sessions WHERE id = ?1");
  if (!s.bind(1, session).step())
    throw std::invalid_argument(db_.path() + ": no session " + std::to_string(session));
  return s.text(0);
}

std::vector<StoredItem> LabelStore::items(std::int64_t session) {
  std::vector<StoredItem> out;
  auto s = db_.prepare(
      "SELECT i.id, i.external_id, i.prompt, n.slot, n.content, n.model, n.seed, n.sampling "
      "FROM items i JOIN answers n ON n.item_id = i.id WHERE i.session_id = ?1 "
      "ORDER BY i.position, n.slot");
  s.bind(1, session);
  while (s.step()) {
    if (out.empty() || out.back().id != s.int64(0))
      out.push_back({s.int64(0), s.text(1), s.text(2), {}, {}});
    LabelAnswer& a = s.text(3) == "a" ? out.back().a : out.back().b;
    a.content = s.text(4);
    a.model = s.text(5);
    if (!s.is_null(6)) a.seed = s.int64(6);
    a.sampling_json = s.text(7);
  }
  return out;
}

std::int64_t LabelStore::annotator_id(const std::string& name) {
  db_.prepare("INSERT INTO annotators (name) VALUES (?1) ON CONFLICT DO NOTHING")
      .bind(1, name)
      .run();
  auto s = db_.prepare("SELECT id FROM annotators WHERE name = ?1");
  s.bind(1, name).step();
  return s.int64(0);
}

bool LabelStore::record_decision(std::int64_t session, const DecisionInput& d) {
  bool stored = false;
  db_.transaction([&] { stored = insert_decision(session, d); });
  return stored;
}

std::size_t LabelStore::record_decisions(
    const std::vector<std::pair<std::int64_t, DecisionInput>>& decisions) {
  std::size_t stored = 0;
  db_.transaction([&] {
    for (std::size_t i = 0; i < decisions.size(); ++i) {
      try {
        stored += insert_decision(decisions[i].first, decisions[i].second);
      } catch (const std::invalid_argument& e) {
        throw DecisionError(i, e.what());
      }
    }
  });
  return stored;
}

bool LabelStore::insert_decision(std::int64_t session, const DecisionInput& d) {
  {
    if (!d.client_id.empty()) {
      auto seen = db_.prepare("SELECT 1 FROM events WHERE client_id = ?1");
      if (seen.bind(1, d.client_id).step()) return false;
    }
    auto item = db_.prepare("SELECT id FROM items WHERE session_id = ?1 AND external_id = ?2");
    if (!item.bind(1, session).bind(2, d.item).step())
      throw std::invalid_argument("item \"" + d.item + "\" is not in this session");
    const std::int64_t item_id = item.int64(0);
    const std::int64_t annotator = annotator_id(d.annotator);
    std::optional<std::string> client;
    if (!d.client_id.empty()) client = d.client_id;
    db_.prepare(
           "INSERT INTO events (item_id, annotator_id, kind, choice, strength, reason, "
           "left_slot, seconds, client_id, source, created_at) "
           "VALUES (?1, ?2, 'decision', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
        .bind(1, item_id)
        .bind(2, annotator)
        .bind(3, to_string(d.choice))
        .bind(4, static_cast<std::int64_t>(d.strength))
        .bind(5, d.reason)
        .bind(6, d.left_slot)
        .bind(7, d.seconds)
        .bind(8, client)
        .bind(9, d.source)
        .bind(10, unix_seconds())
        .run();
    // The item is the annotator's for good: it counts toward the overlap and is never
    // handed to them again (imported decisions get their assignment here).
    db_.prepare(
           "INSERT INTO assignments (item_id, annotator_id, left_slot, state, leased_at, "
           "lease_until) VALUES (?1, ?2, ?3, 'decided', ?4, ?4) "
           "ON CONFLICT (item_id, annotator_id) DO UPDATE SET state = 'decided'")
        .bind(1, item_id)
        .bind(2, annotator)
        .bind(3, d.left_slot)
        .bind(4, unix_seconds())
        .run();
  }
  return true;
}

std::map<std::string, std::int64_t> LabelStore::skips(std::int64_t session) {
  std::map<std::string, std::int64_t> out;
  auto s = db_.prepare(
      "SELECT n.name, COUNT(*) FROM events e JOIN items i ON i.id = e.item_id "
      "JOIN annotators n ON n.id = e.annotator_id WHERE i.session_id = ?1 AND e.kind = 'skip' "
      "GROUP BY n.name");
  s.bind(1, session);
  while (s.step()) out[s.text(0)] = s.int64(1);
  return out;
}

std::vector<StandingDecision> LabelStore::standing_decisions(std::int64_t session) {
  // Per item and annotator, the latest decision that no undo supersedes.
  auto s = db_.prepare(R"sql(
SELECT e.item_id, i.external_id, n.name, e.choice, e.strength, e.left_slot, e.seconds,
       (SELECT model FROM answers WHERE item_id = e.item_id AND slot = 'a'),
       (SELECT model FROM answers WHERE item_id = e.item_id AND slot = 'b'), e.created_at
FROM events e JOIN items i ON i.id = e.item_id JOIN annotators n ON n.id = e.annotator_id
WHERE i.session_id = ?1 AND e.kind = 'decision'
  AND NOT EXISTS (SELECT 1 FROM events u WHERE u.kind = 'undo' AND u.supersedes = e.id)
  AND e.id = (SELECT MAX(d.id) FROM events d WHERE d.item_id = e.item_id
              AND d.annotator_id = e.annotator_id AND d.kind = 'decision'
              AND NOT EXISTS (SELECT 1 FROM events u2 WHERE u2.kind = 'undo'
                              AND u2.supersedes = d.id))
ORDER BY i.position, n.name)sql");
  s.bind(1, session);
  std::vector<StandingDecision> out;
  while (s.step()) {
    StandingDecision d;
    d.item = s.int64(0);
    d.item_external_id = s.text(1);
    d.annotator = s.text(2);
    d.choice = parse_label_choice(s.text(3));
    d.strength = static_cast<int>(s.int64(4));
    if (!s.is_null(5)) d.left_slot = s.text(5);
    if (!s.is_null(6)) d.seconds = s.real(6);
    d.model_a = s.text(7);
    d.model_b = s.text(8);
    d.created_at = s.real(9);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace chosei
