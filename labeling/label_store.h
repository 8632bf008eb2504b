#pragma once
// The durable store of labeling sessions (SQLite, base/sqlite_database.h): sessions, items
// (a prompt and two answers with their provenance), annotators, and every decision as an
// event. Nothing is updated in place: an undo is an event that supersedes the decision it
// takes back, and a repeated client id stores nothing twice. The schema version is kept in
// the database and older files are migrated when opened.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/sqlite_database.h"

namespace chosei {

// One of the two answers of an item, with where it came from.
struct LabelAnswer {
  std::string content;
  std::string model;  // empty: not generated here (imported pairs)
  std::optional<std::int64_t> seed;
  std::string sampling_json;  // the sampling settings as JSON, or empty
};

struct LabelItemInput {
  std::string external_id;  // the pair's "id", or a generated one
  std::string prompt_json;  // the conversation so far, as a JSON array of messages
  LabelAnswer a, b;         // for imported pairs a is the one given first (chosen)
};

struct StoredItem {
  std::int64_t id = 0;
  std::string external_id, prompt_json;
  LabelAnswer a, b;
};

struct SessionSpec {
  std::string name;
  int overlap = 1;         // distinct annotators per item
  std::string guidelines;  // Markdown
  std::int64_t seed = 0;
  int break_minutes = 45;  // the page suggests a break after this long (0: never)
};

// The four judgments, named by the answers' identities, never by screen sides.
enum class LabelChoice { kA, kB, kTie, kBothBad };
std::string to_string(LabelChoice c);
LabelChoice parse_label_choice(const std::string& s);  // "a", "b", "tie", "both_bad"

struct DecisionInput {
  std::string item;  // the item's external id
  std::string annotator;
  LabelChoice choice = LabelChoice::kTie;
  int strength = 1;  // 2: "much better"
  std::string reason;
  std::optional<std::string> left_slot;  // "a"/"b" shown on the left (absent: imported)
  std::optional<double> seconds;         // time taken
  std::string client_id;                 // idempotency key (empty: none)
  std::string source = "page";
};

// A decision that stands (not undone), as statistics and exports read it.
struct StandingDecision {
  std::int64_t item = 0;
  std::string item_external_id;
  std::string annotator;
  LabelChoice choice = LabelChoice::kTie;
  int strength = 1;
  std::optional<std::string> left_slot;
  std::optional<double> seconds;
  std::string model_a, model_b;
  double created_at = 0;  // unix seconds
};

// A decision of a batch that cannot be stored (record_decisions), with its index.
struct DecisionError : std::invalid_argument {
  DecisionError(std::size_t i, const std::string& what) : std::invalid_argument(what), index(i) {}
  std::size_t index;
};

struct SessionSummary {
  std::int64_t id = 0;
  std::string name;
  int overlap = 1;
  std::int64_t items = 0;
  std::string guidelines;
  int break_minutes = 45;
};

class LabelStore {
 public:
  static constexpr int kSchemaVersion = 2;

  // Opens (creating or migrating) the database. Throws naming the file when it was written
  // by a newer chosei (a schema version above kSchemaVersion).
  explicit LabelStore(const std::string& path);

  int schema_version();
  // Creates a session with its items in one transaction. Throws when the name is taken or
  // two items share an external id.
  std::int64_t create_session(const SessionSpec& spec, const std::vector<LabelItemInput>& items);
  std::vector<SessionSummary> sessions();
  SessionSummary session(std::int64_t id);  // throws when there is none
  // The session when the database holds exactly one (callers that take a name default to it).
  std::optional<std::int64_t> only_session();
  std::int64_t annotator_id(const std::string& name);  // created on first use
  // Stores a decision for the item in `session`; returns false (storing nothing) when the
  // client id was already stored. Throws naming the item when it is not in the session.
  bool record_decision(std::int64_t session, const DecisionInput& d);
  // All of `decisions` (session id, decision) in one transaction, or none: throws
  // DecisionError with the index of the one that failed. Returns how many were new.
  std::size_t record_decisions(
      const std::vector<std::pair<std::int64_t, DecisionInput>>& decisions);
  std::vector<StandingDecision> standing_decisions(std::int64_t session);
  // annotator -> items they skipped in the session
  std::map<std::string, std::int64_t> skips(std::int64_t session);
  std::int64_t session_id(const std::string& name);  // throws when there is none
  std::string session_name(std::int64_t session);
  std::vector<StoredItem> items(std::int64_t session);  // in creation order
  SqliteDatabase& database() { return db_; }            // for the assignment queue
  // Appends a decision event inside the caller's transaction (record_decision without it).
  bool insert_decision(std::int64_t session, const DecisionInput& d);

 private:
  void migrate();
  SqliteDatabase db_;
};

}  // namespace chosei
