#pragma once
// CsvReader: RFC 4180 CSV (quoted fields, doubled quotes, newlines inside quotes, CRLF),
// the first record being the header. Each record keeps the line it starts on, so errors
// can point at it.

#include <cstddef>
#include <string>
#include <vector>

namespace chosei {

struct CsvRecord {
  std::vector<std::string> fields;
  std::size_t line = 0;
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<CsvRecord> records;
  // Index of a header column; -1 when absent.
  int column(const std::string& name) const;
};

// Throws std::runtime_error naming path:line on an unterminated quote or a record whose
// field count differs from the header's.
CsvTable read_csv(const std::string& path);
CsvTable parse_csv(const std::string& text, const std::string& source);

}  // namespace chosei
