#pragma once
// Decisions made elsewhere, as `chosei label import --labels FILE.jsonl` reads them: one JSON
// object a line, {"item", "annotator", "choice": "a"|"b"|"tie"|"both_bad", "reason"?,
// "strength"? (1 or 2), "seconds"?, "client_id"?, "session"?}, where "item" is the pair's id
// and a/b name the item's two answers (for imported pairs a is the one given first).

#include <string>
#include <vector>

#include "labeling/label_store.h"

namespace chosei {

struct ImportedDecision {
  std::string session;  // empty: the caller's default
  DecisionInput decision;
  std::size_t line = 0;
};

// Throws std::runtime_error "FILE:LINE: what is wrong" on the first bad line.
std::vector<ImportedDecision> read_decision_lines(const std::string& path);

}  // namespace chosei
