#include "datasets/preference_report.h"

#include <sstream>

#include "datasets/chat_reader.h"
#include "datasets/preference_example.h"

namespace chosei {

namespace {

bool blank(const std::vector<Turn>& turns) {
  return turns_text(turns).find_first_not_of(" \t\r\n") == std::string::npos;
}

void add(std::vector<DataError>& list, std::map<std::string, std::int64_t>& counts,
         const PreferencePair& p, const std::string& kind, const std::string& message) {
  list.push_back({p.source, p.line, kind, message});
  ++counts[kind];
}

void check_pair(const PreferencePair& p, PreferenceReport& r) {
  if (turns_text(p.chosen) == turns_text(p.rejected))
    add(r.errors, r.error_counts, p, "identical_answers",
        "chosen and rejected are the same text: the pair teaches nothing");
  if (blank(p.chosen) || blank(p.rejected))
    add(r.errors, r.error_counts, p, "empty_answer",
        std::string("the ") + (blank(p.chosen) ? "chosen" : "rejected") + " answer is empty");
  if (p.prompt.empty() || blank(p.prompt))
    add(r.warnings, r.warning_counts, p, "no_prompt", "the pair has no prompt");
}

void check_lengths(const std::vector<PreferencePair>& pairs, const PreferenceReportOptions& opt,
                   PreferenceReport& r) {
  std::vector<std::int64_t> prompt, chosen, rejected;
  const auto limit = static_cast<std::size_t>(opt.max_seq_len);
  for (const auto& p : pairs) {
    const std::string where = p.source + ":" + std::to_string(p.line);
    auto c = tokenize_prompt_answer(p.raw, p.prompt, p.chosen, *opt.tokenizer, *opt.tmpl, where);
    auto j = tokenize_prompt_answer(p.raw, p.prompt, p.rejected, *opt.tokenizer, *opt.tmpl, where);
    prompt.push_back(static_cast<std::int64_t>(c.prompt_tokens));
    chosen.push_back(static_cast<std::int64_t>(c.answer_tokens()));
    rejected.push_back(static_cast<std::int64_t>(j.answer_tokens()));
    if (c.prompt_tokens >= limit) {
      ++r.prompt_over_limit;
      add(r.warnings, r.warning_counts, p, "prompt_too_long",
          "the prompt alone has " + std::to_string(c.prompt_tokens) + " tokens (max_seq_len " +
              std::to_string(limit) + "): training drops the pair");
    } else if (c.ids.size() > limit || j.ids.size() > limit) {
      ++r.over_limit;
      add(r.warnings, r.warning_counts, p, "pair_too_long",
          std::to_string(std::max(c.ids.size(), j.ids.size())) + " tokens (max_seq_len " +
              std::to_string(limit) + "): training drops the pair");
    }
  }
  r.tokenized = true;
  r.prompt_tokens = summarize(prompt);
  r.chosen_tokens = summarize(chosen);
  r.rejected_tokens = summarize(rejected);
}

nlohmann::ordered_json distribution_json(const Distribution& d) {
  return {{"mean", d.mean}, {"median", d.median}, {"p90", d.p90}, {"max", d.max}};
}

}  // namespace

PreferenceReport preference_report(const std::string& path, const PreferenceReportOptions& opt) {
  PreferenceReadOptions read;
  read.from = opt.from;
  read.skip_invalid = true;
  auto data = read_preference_dataset(path, read);
  PreferenceReport r;
  r.errors = data.errors;
  for (const auto& e : data.errors) ++r.error_counts[e.kind];
  r.pairs = static_cast<std::int64_t>(data.pairs.size());
  r.unpaired = static_cast<std::int64_t>(data.unpaired.size());
  r.formats = data.formats;
  for (const auto& p : data.pairs) {
    (p.raw ? r.raw : r.chat) += 1;
    check_pair(p, r);
  }
  for (const auto& u : data.unpaired) {
    (u.raw ? r.raw : r.chat) += 1;
    r.desirable += u.desirable;
  }
  if (opt.tokenizer && opt.tmpl) check_lengths(data.pairs, opt, r);
  return r;
}

nlohmann::ordered_json preference_report_json(const PreferenceReport& r, const std::string& path,
                                              std::int64_t max_seq_len) {
  nlohmann::ordered_json j = {{"file", path},
                              {"kind", "preference"},
                              {"ok", r.ok()},
                              {"pairs", r.pairs},
                              {"unpaired", r.unpaired},
                              {"desirable", r.desirable},
                              {"raw_text", r.raw},
                              {"chat", r.chat},
                              {"formats", r.formats},
                              {"error_counts", r.error_counts},
                              {"warning_counts", r.warning_counts}};
  auto list = [](const std::vector<DataError>& v) {
    auto a = nlohmann::ordered_json::array();
    for (const auto& e : v)
      a.push_back({{"where", e.where()}, {"kind", e.kind}, {"message", e.message}});
    return a;
  };
  j["errors"] = list(r.errors);
  j["warnings"] = list(r.warnings);
  if (r.tokenized) {
    j["max_seq_len"] = max_seq_len;
    j["pairs_over_max_seq_len"] = r.over_limit;
    j["prompts_over_max_seq_len"] = r.prompt_over_limit;
    j["tokens"] = {{"prompt", distribution_json(r.prompt_tokens)},
                   {"chosen", distribution_json(r.chosen_tokens)},
                   {"rejected", distribution_json(r.rejected_tokens)}};
  }
  return j;
}

std::string preference_report_text(const PreferenceReport& r, std::int64_t max_seq_len) {
  std::ostringstream o;
  o << "preference data: " << r.pairs << " pairs, " << r.unpaired << " unpaired (KTO";
  if (r.unpaired) o << ", " << r.desirable << " desirable";
  o << "); " << r.chat << " chat, " << r.raw << " raw text\nformats:";
  for (const auto& [f, n] : r.formats) o << " " << f << " " << n;
  o << "\n";
  for (const auto& [k, n] : r.error_counts) o << "error " << k << ": " << n << "\n";
  for (const auto& [k, n] : r.warning_counts) o << "warning " << k << ": " << n << "\n";
  std::size_t shown = 0;
  for (const auto& e : r.errors)
    if (shown++ < 20) o << "  " << e.where() << ": " << e.kind << ": " << e.message << "\n";
  if (r.tokenized) {
    auto line = [&](const char* name, const Distribution& d) {
      o << "  " << name << ": mean " << d.mean << ", median " << d.median << ", p90 " << d.p90
        << ", max " << d.max << "\n";
    };
    o << "tokens (prompt alone, answers after it):\n";
    line("prompt", r.prompt_tokens);
    line("chosen", r.chosen_tokens);
    line("rejected", r.rejected_tokens);
    o << "over max_seq_len " << max_seq_len << ": " << r.over_limit << " pairs, "
      << r.prompt_over_limit << " prompts alone (training drops them)\n";
  }
  o << (r.ok() ? "OK\n" : "FAILED\n");
  return o.str();
}

}  // namespace chosei
