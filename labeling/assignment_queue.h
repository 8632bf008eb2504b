#pragma once
// Who labels what next. Each item goes to `overlap` distinct annotators; an annotator gets
// an item by a lease, so two annotators working at once never push an item past its
// overlap; a lease that runs out without a decision gives the place back. An annotator never
// gets an item twice (their own open lease is handed back to them, not a second copy). Which
// answer is shown on the left is drawn per annotator and item from the session's seed and
// stored with the assignment. Every change is one transaction, committed before it returns.

#include <cstdint>
#include <optional>
#include <string>

#include "labeling/label_store.h"

namespace chosei {

struct AssignedItem {
  std::string item;         // external id
  std::string prompt_json;  // the conversation, a JSON array of messages
  std::string left, right;  // the two answers as shown
  std::string left_slot;    // "a" or "b": which answer is on the left
  double lease_until = 0;
};

struct AnnotatorProgress {
  std::int64_t done = 0;       // the annotator's standing decisions in the session
  std::int64_t open = 0;       // items leased to the annotator and not yet decided
  std::int64_t available = 0;  // items the annotator could still be given (room, not seen)
  std::int64_t session_done = 0, session_needed = 0;  // decisions made / items x overlap
};

// An action on an item the annotator holds no lease for (another annotator's item, an
// expired lease another annotator has since filled, or an item never handed out).
struct LeaseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class AssignmentQueue {
 public:
  AssignmentQueue(LabelStore& store, std::int64_t session, double lease_seconds = 600);

  // The annotator's open item, else a new one; nullopt when nothing is left for them.
  std::optional<AssignedItem> next(const std::string& annotator, double now);
  // Stores a decision for an item the annotator holds (`d.item`, `d.annotator`); the side
  // shown on the left comes from the assignment. Returns false when d.client_id was stored
  // before (nothing stored twice). Throws LeaseError without a lease.
  bool submit(DecisionInput d, double now);
  // The same with the choice named as the annotator saw it: "left" or "right" (mapped to the
  // answers through the lease), "tie" or "both_bad". Throws std::invalid_argument otherwise.
  bool submit_by_side(DecisionInput d, const std::string& side, double now);
  // Gives the item up for good (it goes to someone else). Idempotent by client id.
  bool skip(const std::string& annotator, const std::string& item, const std::string& client_id,
            double now);
  // Takes back the annotator's latest standing decision in the session (an undo event that
  // supersedes it); the item is theirs again with a new lease. Returns its id, or nullopt
  // when there is nothing to undo. Idempotent by client id.
  std::optional<std::string> undo(const std::string& annotator, const std::string& client_id,
                                  double now);
  AnnotatorProgress progress(const std::string& annotator, double now);
  std::int64_t session() const { return session_; }

 private:
  std::optional<AssignedItem> open_item(std::int64_t annotator, double now);
  bool client_seen(const std::string& client_id);
  bool store_decision(DecisionInput d, const std::string* side, double now);

  LabelStore& store_;
  std::int64_t session_;
  int overlap_ = 1;
  std::int64_t seed_ = 0;
  double lease_seconds_;
};

}  // namespace chosei
