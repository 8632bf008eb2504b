#include "datasets/dataset_report.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "tokenizer/chat_messages.h"

namespace chosei {

using nlohmann::ordered_json;

ordered_json distribution_json(const Distribution& d) {
  return {{"min", d.min},       {"max", d.max}, {"mean", d.mean},
          {"median", d.median}, {"p10", d.p10}, {"p90", d.p90}};
}

ordered_json validation_json(const ValidationReport& r, const std::string& file, bool with_tokens) {
  ordered_json errors = ordered_json::object(), lines = ordered_json::array();
  for (const auto& [kind, n] : r.error_counts) errors[kind] = n;
  for (const auto& e : r.errors)
    lines.push_back({{"line", e.line}, {"kind", e.kind}, {"message", e.message}});
  ordered_json j = {
      {"file", file},
      {"examples", r.examples},
      {"errors", errors},
      {"error_lines", lines},
      {"warnings", {{"missing_system", r.missing_system}, {"missing_user", r.missing_user}}},
      {"epochs", r.epochs},
      {"messages_per_example", distribution_json(summarize(r.messages_per_example))}};
  if (with_tokens) {
    j["tokens_per_example"] = distribution_json(summarize(r.example_tokens));
    j["assistant_tokens_per_example"] = distribution_json(summarize(r.assistant_tokens));
  }
  return j;
}

std::string validation_text(const ValidationReport& r, bool with_tokens) {
  std::ostringstream out;
  out << "Num examples: " << r.examples << "\n";
  if (r.errors.empty()) {
    out << "No errors found\n";
  } else {
    out << "Found errors:\n";
    for (const auto& [kind, n] : r.error_counts) out << "  " << kind << ": " << n << "\n";
    for (const auto& e : r.errors) out << e.where() << ": " << e.kind << ": " << e.message << "\n";
  }
  out << "Num examples missing system message: " << r.missing_system << "\n";
  out << "Num examples missing user message: " << r.missing_user << "\n";
  auto m = summarize(r.messages_per_example);
  out << "Messages per example: min " << m.min << ", max " << m.max << ", mean " << m.mean
      << ", median " << m.median << "\n";
  if (with_tokens) {
    auto t = summarize(r.example_tokens), at = summarize(r.assistant_tokens);
    out << "Tokens per example: min " << t.min << ", max " << t.max << ", mean " << t.mean
        << ", median " << t.median << ", p10 " << t.p10 << ", p90 " << t.p90 << "\n";
    out << "Assistant tokens per example: min " << at.min << ", max " << at.max << ", mean "
        << at.mean << "\n";
  }
  out << "By default, you'll train for " << r.epochs << " epochs on this dataset\n";
  return out.str();
}

DatasetStats dataset_stats(const std::vector<Conversation>& conversations,
                           const Tokenizer& tokenizer, const ChatTemplate& tmpl,
                           std::int64_t max_seq_len) {
  DatasetStats s;
  s.examples = static_cast<std::int64_t>(conversations.size());
  s.max_seq_len = max_seq_len;
  s.chat_template = tmpl.name();
  for (const auto& c : conversations) {
    for (const auto& t : c.turns) ++s.roles[t.role];
    auto r = tmpl.render_labeled(tokenizer, conversation_messages(c), c.tools);
    s.lengths.push_back(static_cast<std::int64_t>(r.ids.size()));
    s.labeled.push_back(std::count(r.assistant_mask.begin(), r.assistant_mask.end(), 1));
    s.turns.push_back(static_cast<std::int64_t>(c.turns.size()));
  }
  s.over_max_seq_len = std::count_if(s.lengths.begin(), s.lengths.end(),
                                     [&](std::int64_t n) { return n > max_seq_len; });
  return s;
}

ordered_json stats_json(const DatasetStats& s) {
  auto len = summarize(s.lengths), lab = summarize(s.labeled), tr = summarize(s.turns);
  return {{"examples", s.examples},
          {"turns", tr.sum},
          {"roles", s.roles},
          {"chat_template", s.chat_template},
          {"added_chat_tokens", s.added_tokens},
          {"tokens_per_example", distribution_json(len)},
          {"assistant_tokens_per_example", distribution_json(lab)},
          {"tokens_per_epoch", len.sum},
          {"assistant_tokens_per_epoch", lab.sum},
          {"over_max_seq_len", s.over_max_seq_len},
          {"estimated_epochs", default_epochs(s.examples)}};
}

std::string stats_text(const DatasetStats& s) {
  auto len = summarize(s.lengths), lab = summarize(s.labeled), tr = summarize(s.turns);
  std::ostringstream out;
  out << "examples: " << s.examples << "   turns: " << tr.sum << "   template: " << s.chat_template
      << "\n";
  if (!s.added_tokens.empty())
    out << "chat tokens fine-tuning adds to this tokenizer: " << s.added_tokens.size() << "\n";
  for (const auto& [role, count] : s.roles)
    out << "  " << std::left << std::setw(10) << role << count << "\n";
  out << std::fixed << std::setprecision(1) << "tokens per example: min " << len.min << ", median "
      << len.median << ", mean " << len.mean << ", p90 " << len.p90 << ", max " << len.max << "\n";
  out << "assistant (labeled) tokens per example: mean " << lab.mean << ", max " << lab.max << "\n";
  out << "tokens per epoch: " << static_cast<std::int64_t>(len.sum) << " ("
      << static_cast<std::int64_t>(lab.sum) << " labeled)\n";
  out << "longer than " << s.max_seq_len << " tokens: " << s.over_max_seq_len << "\n";
  out << "estimated epochs: " << default_epochs(s.examples) << "\n\ntoken length histogram:\n"
      << text_histogram(s.lengths);
  return out.str();
}

}  // namespace chosei
