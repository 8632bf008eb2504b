#include "filters/filter_engine.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <tuple>

#include "filters/classifier_rules.h"
#include "filters/rule_examples.h"
#include "filters/span_recognizer.h"

namespace chosei {

namespace {

struct CompiledPattern {
  std::size_t rule;
  std::unique_ptr<RE2> re;
};

// One direction's patterns: the set for the single pass, the per-pattern regexes for spans.
struct DirectionPatterns {
  std::unique_ptr<RE2::Set> set;
  std::vector<CompiledPattern> patterns;  // index = the set's pattern index
  std::size_t longest = 0;
};

RE2::Options pattern_options() {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(64 << 20);
  return o;
}

}  // namespace

// A byte set from an RE2 character class such as "[a-z0-9@.]"; empty class text: every byte.
struct ByteSet {
  bool any = true;
  std::array<bool, 256> has{};
  bool contains(unsigned char c) const { return any || has[c]; }
};

ByteSet byte_set(const FilterRule& rule, const std::string& cls, const char* field) {
  ByteSet set;
  if (cls.empty()) return set;
  set.any = false;
  RE2 re(cls, pattern_options());
  if (!re.ok())
    throw RulePackError("pack " + rule.pack + ", rule " + rule.id + ", field \"" + field +
                        "\": " + re.error());
  for (int c = 0; c < 128; ++c)
    set.has[static_cast<std::size_t>(c)] = RE2::FullMatch(std::string(1, static_cast<char>(c)), re);
  return set;
}

// The tail of a stream that a rule could still be matching.
struct StreamShape {
  ByteSet alphabet, first;
  std::size_t max_length = 0;
};

struct FilterEngine::Compiled {
  std::vector<FilterRule> rules;
  std::vector<StreamShape> shapes;          // per rule
  std::vector<SpanRecognizer> recognizers;  // per rule
  std::unique_ptr<ClassifierRules> classifiers;
  DirectionPatterns input, output;
  const DirectionPatterns& of(FilterDirection d) const {
    return d == FilterDirection::kInput ? input : output;
  }
};

namespace {

void add_pattern(DirectionPatterns& d, std::size_t rule_index, const FilterRule& rule,
                 const std::string& pattern) {
  std::string error;
  if (!d.set) d.set = std::make_unique<RE2::Set>(pattern_options(), RE2::UNANCHORED);
  if (d.set->Add(pattern, &error) < 0)
    throw RulePackError("pack " + rule.pack + ", rule " + rule.id + ", pattern \"" + pattern +
                        "\": " + error);
  d.patterns.push_back({rule_index, std::make_unique<RE2>(pattern, pattern_options())});
  d.longest = std::max(d.longest, rule.max_length);
}

void compile_set(DirectionPatterns& d) {
  if (d.set && !d.set->Compile())
    throw RulePackError("the filter patterns exceed RE2's memory budget");
}

FilterMatch make_match(const FilterRule& rule, std::string_view original,
                       const NormalizedText& norm, std::size_t b, std::size_t e) {
  const auto span = norm.original_span(b, e);
  FilterMatch fm;
  fm.rule = rule.id;
  fm.category = rule.category;
  fm.action = rule.action;
  fm.replacement = rule.action == FilterAction::kBlock ? "[BLOCKED]" : rule.redact_with;
  fm.byte_start = span.begin;
  fm.byte_end = span.end;
  fm.start = code_point_offset(original, span.begin);
  fm.end = fm.start + code_point_offset(original.substr(span.begin), span.end - span.begin);
  fm.text = std::string(original.substr(span.begin, span.end - span.begin));
  fm.norm_start = b;
  fm.norm_end = e;
  return fm;
}

// A match dropped for a wider or more specific one still moved the search past its spans, so
// the surviving matches depend on its candidate as well: the candidate range each kept
// match reports (what a stream holds back until complete) grows to every dropped candidate
// it overlaps, directly or through another. Without this a stream released the start of a
// phone candidate whose spans a My Number had claimed, and then found a phone the whole
// text does not have.
void widen_candidates(std::vector<FilterMatch>& kept, const std::vector<FilterMatch>& dropped) {
  for (bool grew = true; grew;) {
    grew = false;
    for (auto& k : kept)
      for (const auto& d : dropped) {
        const std::size_t begin = std::min(k.candidate_start, d.candidate_start),
                          end = std::max(k.candidate_end, d.candidate_end);
        const bool overlaps =
            d.candidate_start < k.candidate_end && k.candidate_start < d.candidate_end;
        if (overlaps && (begin < k.candidate_start || end > k.candidate_end))
          k.candidate_start = begin, k.candidate_end = end, grew = true;
      }
  }
}

}  // namespace

FilterEngine::FilterEngine(std::vector<RulePack> packs, bool verify_examples)
    : compiled_(std::make_unique<Compiled>()) {
  for (auto& pack : packs)
    for (auto& rule : pack.rules) compiled_->rules.push_back(std::move(rule));
  for (std::size_t i = 0; i < compiled_->rules.size(); ++i) {
    const auto& rule = compiled_->rules[i];
    for (const auto& p : rule.patterns) {
      if (rule.input) add_pattern(compiled_->input, i, rule, p);
      if (rule.output) add_pattern(compiled_->output, i, rule, p);
    }
  }
  compile_set(compiled_->input);
  compile_set(compiled_->output);
  compiled_->classifiers = std::make_unique<ClassifierRules>(compiled_->rules);
  for (const auto& rule : compiled_->rules)
    compiled_->recognizers.push_back(make_span_recognizer(rule));
  for (const auto& rule : compiled_->rules)
    compiled_->shapes.push_back({byte_set(rule, rule.alphabet, "alphabet"),
                                 byte_set(rule, rule.first, "first"), rule.max_length});
  if (!verify_examples) return;
  for (const auto& report : check_rule_examples(*this))
    if (!report.failures.empty())
      throw RulePackError("pack " + report.pack + ", rule " + report.rule + ": " +
                          report.failures.front());
}

FilterEngine::~FilterEngine() = default;
FilterEngine::FilterEngine(FilterEngine&&) noexcept = default;

const std::vector<FilterRule>& FilterEngine::rules() const { return compiled_->rules; }

std::size_t FilterEngine::longest_match(FilterDirection direction) const {
  return compiled_->of(direction).longest;
}

std::size_t FilterEngine::hold_from(std::string_view norm, FilterDirection direction) const {
  std::size_t hold = norm.size();
  for (std::size_t r = 0; r < compiled_->rules.size(); ++r) {
    if (!compiled_->rules[r].applies(direction) || compiled_->rules[r].is_classifier) continue;
    const auto& shape = compiled_->shapes[r];
    // One more byte than the longest match: a match may end on a look-ahead (\b).
    const std::size_t reach = std::min(norm.size(), shape.max_length + 1);
    std::size_t start = norm.size();
    while (start > norm.size() - reach &&
           shape.alphabet.contains(static_cast<unsigned char>(norm[start - 1])))
      --start;
    std::size_t begin = start;  // then the first byte in that run that can begin a match
    while (begin < norm.size() && !shape.first.contains(static_cast<unsigned char>(norm[begin])))
      ++begin;
    hold = std::min(hold, begin);
  }
  return hold;
}

std::vector<FilterMatch> FilterEngine::find(std::string_view original, const NormalizedText& norm,
                                            std::size_t from, FilterDirection direction) const {
  const auto& d = compiled_->of(direction);
  std::vector<FilterMatch> out;
  if (!d.set) return out;
  std::vector<int> hit;
  const re2::StringPiece text(norm.text);
  if (!d.set->Match(text, &hit)) return out;
  std::sort(hit.begin(), hit.end());
  for (int p : hit) {
    const auto& cp = d.patterns[static_cast<std::size_t>(p)];
    const auto& rule = compiled_->rules[cp.rule];
    std::size_t pos = from;
    re2::StringPiece m;
    while (pos <= text.size() && cp.re->Match(text, pos, text.size(), RE2::UNANCHORED, &m, 1)) {
      const auto b = static_cast<std::size_t>(m.data() - text.data());
      // A rejected candidate (too long, bad checksum) may hide a valid match starting inside
      // it: search on from the next byte, not from its end.
      pos = b + 1;
      if (m.empty() || m.size() > rule.max_length) continue;
      const auto& recognizer = compiled_->recognizers[cp.rule];
      if (recognizer.whole_runs && continues_digit_run(norm.text, b)) continue;
      const auto spans = recognizer.find(m);
      if (spans.empty()) continue;
      pos = b + spans.back().end;
      for (const auto& s : spans) {
        out.push_back(make_match(rule, original, norm, b + s.begin, b + s.end));
        out.back().candidate_start = b;
        out.back().candidate_end = b + m.size();
      }
    }
  }
  // By start, longest first: where spans overlap, the widest one names the replacement.
  std::sort(out.begin(), out.end(), [](const FilterMatch& a, const FilterMatch& b) {
    return std::make_tuple(a.byte_start, b.byte_end, a.rule) <
           std::make_tuple(b.byte_start, a.byte_end, b.rule);
  });
  // A span inside a wider one of the same category (the 12-digit My Number pattern inside a
  // card number) adds nothing but noise to the explanation.
  std::vector<FilterMatch> kept, dropped;
  // The same span claimed by two rules of a category goes to the more specific one (an SSN
  // by its checksum over the phone number its digits also make).
  std::vector<int> specificity;  // per match, looked up once
  for (const auto& m : out) {
    int s = 0;
    for (const auto& r : compiled_->rules)
      if (r.id == m.rule) s = match_specificity(r);
    specificity.push_back(s);
  }
  auto covers = [&](std::size_t kj, std::size_t mi) {
    const FilterMatch &k = out[kj], &m = out[mi];
    const int sk = specificity[kj], sm = specificity[mi];
    if (k.category != m.category || k.rule == m.rule) return false;
    // Digits a checksum claims are not also part of a number merely formatted like a phone.
    if (k.byte_start < m.byte_end && m.byte_start < k.byte_end && sk > sm && sm == 1) return true;
    if (k.byte_start > m.byte_start || m.byte_end > k.byte_end) return false;
    if (sk < sm) return false;
    const auto wk = k.byte_end - k.byte_start, wm = m.byte_end - m.byte_start;
    return wk > wm || (wk == wm && sk > sm);
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    bool covered = false;
    for (std::size_t j = 0; j < out.size() && !covered; ++j) covered = j != i && covers(j, i);
    if (covered)
      dropped.push_back(out[i]);
    else
      kept.push_back(out[i]);
  }
  out = std::move(kept);
  widen_candidates(out, dropped);
  // Two patterns of one rule finding the same span report it once.
  out.erase(std::unique(out.begin(), out.end(),
                        [](const FilterMatch& a, const FilterMatch& b) {
                          return a.rule == b.rule && a.byte_start == b.byte_start &&
                                 a.byte_end == b.byte_end;
                        }),
            out.end());
  return out;
}

FilterResult FilterEngine::check(std::string_view text, FilterDirection direction) const {
  return check(text, direction, {});
}

FilterResult FilterEngine::check(std::string_view text, FilterDirection direction,
                                 std::string_view context) const {
  const std::string valid = to_valid_utf8(text);
  auto matches = find(valid, normalize_for_matching(valid), 0, direction);
  ClassifierProgress progress;
  progress.context = to_valid_utf8(context);
  for (auto& m : classify(valid, true, direction, progress)) matches.push_back(std::move(m));
  std::stable_sort(matches.begin(), matches.end(), [](const FilterMatch& a, const FilterMatch& b) {
    return a.byte_start < b.byte_start;
  });
  return decide(valid, std::move(matches));
}

std::vector<FilterMatch> FilterEngine::classify(std::string_view text, bool at_end,
                                                FilterDirection direction,
                                                ClassifierProgress& progress) const {
  return compiled_->classifiers->classify(text, at_end, direction, progress);
}

std::size_t FilterEngine::classified_prefix(std::string_view text, FilterDirection direction,
                                            const ClassifierProgress& progress) const {
  return compiled_->classifiers->classified_prefix(text, direction, progress);
}

bool FilterEngine::has_classifiers(FilterDirection direction) const {
  return compiled_->classifiers->any(direction);
}

ClassifierTiming FilterEngine::classifier_timing() const {
  return compiled_->classifiers->timing();
}

const char* to_string(FilterDecision d) {
  return d == FilterDecision::kBlock ? "block" : d == FilterDecision::kRedact ? "redact" : "allow";
}

FilterResult decide(std::string_view text, std::vector<FilterMatch> matches) {
  FilterResult r;
  r.matches = std::move(matches);
  for (const auto& m : r.matches) {
    if (m.action == FilterAction::kBlock) r.decision = FilterDecision::kBlock;
    if (m.action == FilterAction::kRedact && r.decision == FilterDecision::kAllow)
      r.decision = FilterDecision::kRedact;
  }
  // Matches are ordered by start; overlapping replaced spans merge into one replacement,
  // labelled by the first.
  std::size_t copied = 0;
  for (std::size_t i = 0; i < r.matches.size();) {
    const auto& m = r.matches[i];
    if (m.action == FilterAction::kFlag) {
      ++i;
      continue;
    }
    std::size_t end = m.byte_end, j = i + 1;
    for (; j < r.matches.size() && r.matches[j].byte_start < end; ++j)
      if (r.matches[j].action != FilterAction::kFlag) end = std::max(end, r.matches[j].byte_end);
    r.redacted.append(text.substr(copied, m.byte_start - copied));
    r.redacted += m.replacement;
    copied = end;
    i = j;
  }
  r.redacted.append(text.substr(std::min(copied, text.size())));
  return r;
}

}  // namespace chosei
