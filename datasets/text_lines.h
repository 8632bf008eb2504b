#pragma once
// The non-blank lines of a text file with their 1-based line numbers (a trailing '\r' is
// dropped), the unit every JSONL reader works in so that errors can say file:line.

#include <cstddef>
#include <string>
#include <vector>

namespace chosei {

struct NumberedLine {
  std::string text;
  std::size_t number = 0;
};

// Throws std::runtime_error naming the path when it cannot be read.
std::vector<NumberedLine> read_nonblank_lines(const std::string& path);
std::vector<NumberedLine> split_nonblank_lines(const std::string& text);

}  // namespace chosei
