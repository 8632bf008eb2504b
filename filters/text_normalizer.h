#pragma once
// The text filters match against: NFKC with case folding (utf8proc), default-ignorable code
// points removed (zero-width spaces and joiners, bidi controls, soft hyphens), common
// Cyrillic and Greek look-alikes mapped to Latin letters. Full-width ASCII becomes ASCII
// through NFKC. Every normalized byte remembers the original bytes it came from, so match
// spans map back to the text the user sent.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace chosei {

struct SourceSpan {
  std::size_t begin = 0, end = 0;  // original byte range
};

struct NormalizedText {
  std::string text;
  std::vector<SourceSpan> source;  // one per byte of `text`
  // The original span covered by normalized bytes [begin, end).
  SourceSpan original_span(std::size_t begin, std::size_t end) const;
};

// `original` must be valid UTF-8 (see to_valid_utf8). Normalization runs per cluster (a code
// point and the combining marks after it), so a cluster's output maps to the whole cluster
// and normalizing a prefix gives a prefix of the normalization.
NormalizedText normalize_for_matching(std::string_view original);

// Invalid UTF-8 sequences replaced by U+FFFD; valid text returned unchanged.
std::string to_valid_utf8(std::string_view text);

// Code points in text[0, byte_offset).
std::size_t code_point_offset(std::string_view text, std::size_t byte_offset);

}  // namespace chosei
