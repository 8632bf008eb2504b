#include "datasets/text_lines.h"

#include "base/atomic_file.h"

namespace chosei {

std::vector<NumberedLine> split_nonblank_lines(const std::string& text) {
  std::vector<NumberedLine> lines;
  std::size_t pos = 0, number = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++number;
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos)
      lines.push_back({std::move(line), number});
  }
  return lines;
}

std::vector<NumberedLine> read_nonblank_lines(const std::string& path) {
  return split_nonblank_lines(read_file(path));
}

}  // namespace chosei
