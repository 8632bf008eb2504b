#pragma once
// Cleans a chat dataset before training, the data-quality checklist of domain adaptation:
//   exact duplicates   after normalization (NFKC, case folding, collapsed whitespace);
//   near duplicates    MinHash signatures (Broder 1997) over character 5-gram shingles,
//                      candidate pairs from LSH banding (Leskovec, Rajaraman & Ullman,
//                      "Mining of Massive Datasets", ch. 3.4), kept when the estimated
//                      Jaccard similarity reaches the threshold;
//   spam and junk      repetition (share of the text in repeated lines or words), symbol
//                      ratio, length bounds.
// The first example of each duplicate group is kept. Every drop is reported with its
// reason (and the example it duplicates).

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/conversation.h"

namespace chosei {

struct CleanOptions {
  bool near_duplicates = true;
  double near_duplicate_threshold = 0.85;  // estimated Jaccard similarity
  std::int64_t min_chars = 2;              // per conversation, all turns
  std::int64_t max_chars = 100000;
  double max_symbol_ratio = 0.3;  // non-letter, non-digit, non-space characters / all
  double max_repetition = 0.5;    // share of repeated word bigrams or repeated lines
};

struct DroppedExample {
  std::size_t index = 0;  // position in the input
  std::size_t line = 0;
  std::string
      reason;  // exact_duplicate | near_duplicate | too_short | too_long | symbols | repetition
  std::size_t duplicate_of_line = 0;
  double similarity = 0;
};

struct [[nodiscard]] CleanResult {
  std::vector<std::size_t> kept;  // indices into the input, in order
  std::vector<DroppedExample> dropped;
};

CleanResult clean_conversations(const std::vector<Conversation>& conversations,
                                const CleanOptions& options);

// Estimated Jaccard similarity of two texts' shingle sets through 128 MinHash values.
double minhash_similarity(const std::string& a, const std::string& b);

}  // namespace chosei
