#include "datasets/csv_reader.h"

#include <stdexcept>

#include "base/atomic_file.h"

namespace chosei {

int CsvTable::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

CsvTable parse_csv(const std::string& text, const std::string& source) {
  std::vector<CsvRecord> rows;
  CsvRecord row;
  std::string field;
  std::size_t line = 1, i = 0;
  bool in_quotes = false, any = false;
  row.line = 1;
  std::size_t start = (text.compare(0, 3, "\xEF\xBB\xBF") == 0) ? 3 : 0;  // UTF-8 BOM
  auto end_record = [&] {
    row.fields.push_back(std::move(field));
    field.clear();
    rows.push_back(std::move(row));
    row = CsvRecord();
    row.line = line;
    any = false;
  };
  for (i = start; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"')
          field += '"', ++i;
        else
          in_quotes = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      in_quotes = any = true;
    } else if (c == ',') {
      row.fields.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      ++line;
      end_record();
    } else {
      field += c;
      any = true;
    }
  }
  if (in_quotes)
    throw std::runtime_error(source + ":" + std::to_string(row.line) +
                             ": unterminated quoted field");
  if (any || !field.empty() || !row.fields.empty()) end_record();
  // Drop empty lines (a record of one empty field).
  std::vector<CsvRecord> kept;
  for (auto& r : rows)
    if (!(r.fields.size() == 1 && r.fields[0].empty())) kept.push_back(std::move(r));
  if (kept.empty()) throw std::runtime_error(source + ": empty CSV (no header)");
  CsvTable table;
  table.header = std::move(kept[0].fields);
  for (std::size_t k = 1; k < kept.size(); ++k) {
    if (kept[k].fields.size() != table.header.size())
      throw std::runtime_error(source + ":" + std::to_string(kept[k].line) + ": " +
                               std::to_string(kept[k].fields.size()) + " fields, the header has " +
                               std::to_string(table.header.size()));
    table.records.push_back(std::move(kept[k]));
  }
  return table;
}

CsvTable read_csv(const std::string& path) { return parse_csv(read_file(path), path); }

}  // namespace chosei
