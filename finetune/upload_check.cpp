#include "finetune/upload_check.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "base/unicode_text.h"
#include "datasets/chat_validation.h"
#include "datasets/preference_reader.h"
#include "datasets/preference_report.h"

namespace chosei {

namespace {

struct Finding {
  std::size_t line;
  std::string message;
};

FileFacts failed(const std::string& filename, const std::vector<Finding>& findings,
                 std::size_t total, const UploadCheckOptions& o) {
  std::ostringstream s;
  s << total << (total == 1 ? " error" : " errors");
  for (std::size_t i = 0; i < findings.size() && i < o.max_findings; ++i)
    s << "\n" << filename << ":" << findings[i].line << ": " << findings[i].message;
  if (total > o.max_findings) s << "\n(" << total - o.max_findings << " more)";
  FileFacts f;
  f.status = "error";
  f.status_details = s.str();
  return f;
}

// The first line that makes the file no JSONL text at all, read in bounded pieces so that
// a huge line or a binary file is never held whole.
std::optional<Finding> not_jsonl(const std::string& path, const UploadCheckOptions& o) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::size_t number = 0;
  std::vector<char> buf(1 << 16);
  bool any = false;
  auto judge = [&]() -> std::optional<Finding> {
    ++number;
    if (line.find('\0') != std::string::npos)
      return Finding{number, "binary data (a NUL byte); expected JSON Lines text"};
    if (!is_valid_utf8(line)) return Finding{number, "invalid UTF-8"};
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) return std::nullopt;
    any = true;
    if (line[first] != '{')
      return Finding{number, "not a JSON object; each line must be one JSON object (JSON Lines)"};
    return std::nullopt;
  };
  while (in.read(buf.data(), std::streamsize(buf.size())) || in.gcount() > 0) {
    const std::string_view chunk(buf.data(), static_cast<std::size_t>(in.gcount()));
    std::size_t start = 0;
    for (;;) {
      const auto nl = chunk.find('\n', start);
      line.append(chunk.substr(start, nl == std::string_view::npos ? nl : nl - start));
      if (static_cast<std::int64_t>(line.size()) > o.max_line_bytes)
        return Finding{number + 1,
                       "line longer than " + std::to_string(o.max_line_bytes) + " bytes"};
      if (nl == std::string_view::npos) break;
      if (auto f = judge()) return f;
      line.clear();
      start = nl + 1;
    }
  }
  if (!line.empty())
    if (auto f = judge()) return f;
  if (!any) return Finding{1, "the file is empty"};
  return std::nullopt;
}

template <class Errors>
std::vector<Finding> findings_of(const Errors& errors) {
  std::vector<Finding> out;
  for (const auto& e : errors) out.push_back({e.line, e.kind + ": " + e.message});
  return out;
}

}  // namespace

FileFacts check_upload(const std::string& path, const std::string& filename,
                       const UploadCheckOptions& o) {
  if (auto f = not_jsonl(path, o)) return failed(filename, {*f}, 1, o);
  FileFacts facts;
  if (looks_like_preference_file(path)) {
    PreferenceReportOptions ro;
    const auto r = preference_report(path, ro);
    if (!r.ok()) return failed(filename, findings_of(r.errors), r.errors.size(), o);
    facts.kind = "preference";
    facts.examples = r.pairs + r.unpaired;
  } else {
    const auto r = validate_chat_jsonl(path);
    if (!r.ok()) return failed(filename, findings_of(r.errors), r.errors.size(), o);
    facts.kind = "chat";
    facts.examples = r.examples;
  }
  if (facts.examples < o.min_examples)
    return failed(
        filename,
        {{1, "the file has " + std::to_string(facts.examples) +
                 " examples; fine-tuning needs at least " + std::to_string(o.min_examples)}},
        1, o);
  return facts;
}

}  // namespace chosei
