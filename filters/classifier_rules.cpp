#include "filters/classifier_rules.h"

#include <algorithm>
#include <chrono>

#include "filters/text_normalizer.h"

namespace chosei {

namespace {

// The largest code point boundary of valid UTF-8 `text` at or before `at`.
std::size_t boundary_at_or_before(std::string_view text, std::size_t at) {
  at = std::min(at, text.size());
  while (at > 0 && at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;
  return at;
}

std::string fired_key(const FilterRule& rule, const std::string& label) {
  return rule.id + "/" + label;
}

}  // namespace

ClassifierRules::ClassifierRules(const std::vector<FilterRule>& rules) {
  for (const auto& rule : rules) {
    if (!rule.is_classifier) continue;
    auto fail = [&](const std::string& why) {
      throw RulePackError("pack " + rule.pack + ", rule " + rule.id + ": " + why);
    };
    Rule r{&rule, nullptr, {}};
    try {
      r.model = load_text_classifier(rule.model_dir);
    } catch (const std::exception& e) {
      fail(std::string("model ") + rule.model_dir + ": " + e.what());
    }
    const auto& labels = r.model->labels();
    const auto saved = r.model->thresholds();
    for (const auto& c : rule.categories) {
      const auto it = std::find(labels.begin(), labels.end(), c.label);
      if (it == labels.end()) {
        std::string known;
        for (const auto& l : labels) known += (known.empty() ? "" : ", ") + l;
        fail("label \"" + c.label + "\" is not one of the model's (" + known + ")");
      }
      double t = c.threshold;
      if (t < 0) t = saved.count(c.label) ? saved.at(c.label) : 0.5;
      r.categories.push_back({static_cast<std::size_t>(it - labels.begin()), c.label, c.action, t});
    }
    rules_.push_back(std::move(r));
  }
}

bool ClassifierRules::any(FilterDirection d) const {
  for (const auto& r : rules_)
    if (r.rule->applies(d)) return true;
  return false;
}

ClassifierTiming ClassifierRules::timing() const {
  return {calls_.load(), static_cast<double>(nanoseconds_.load()) * 1e-9};
}

void ClassifierRules::check(const Rule& r, std::string_view text, std::size_t end,
                            ClassifierProgress& progress, std::vector<FilterMatch>& out) const {
  const auto t0 = std::chrono::steady_clock::now();
  const auto p = progress.context.empty()
                     ? r.model->probabilities(text.substr(0, end))
                     : r.model->probabilities(text.substr(0, end), progress.context);
  calls_ += 1;
  nanoseconds_ += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  for (const auto& c : r.categories) {
    const auto key = fired_key(*r.rule, c.name);
    if (p[c.label] < c.threshold ||
        std::find(progress.fired.begin(), progress.fired.end(), key) != progress.fired.end())
      continue;
    progress.fired.push_back(key);
    FilterMatch m;
    m.rule = r.rule->id;
    m.category = c.name;
    m.action = c.action;
    m.byte_start = 0;
    m.byte_end = end;
    m.start = 0;
    m.end = code_point_offset(text, end);
    m.replacement = "[BLOCKED]";
    m.score = p[c.label];
    out.push_back(std::move(m));
    if (c.action == FilterAction::kBlock) progress.stopped = true;
  }
}

std::vector<FilterMatch> ClassifierRules::classify(std::string_view text, bool at_end,
                                                   FilterDirection d,
                                                   ClassifierProgress& progress) const {
  std::vector<FilterMatch> out;
  progress.next.resize(rules_.size(), 1);
  for (std::size_t i = 0; i < rules_.size() && !progress.stopped; ++i) {
    const auto& r = rules_[i];
    if (!r.rule->applies(d) || r.rule->check_every == 0) continue;
    // Checkpoint k is the boundary at or before k * check_every, once the text reaches it
    // and before the end (the end is checked once, below).
    for (auto& k = progress.next[i]; !progress.stopped; ++k) {
      const std::size_t at = k * r.rule->check_every;
      if (at >= text.size()) break;
      check(r, text, boundary_at_or_before(text, at), progress, out);
    }
  }
  if (at_end && !progress.finished) {
    progress.finished = true;
    for (std::size_t i = 0; i < rules_.size() && !progress.stopped; ++i)
      if (rules_[i].rule->applies(d)) check(rules_[i], text, text.size(), progress, out);
  }
  return out;
}

std::size_t ClassifierRules::classified_prefix(std::string_view text, FilterDirection d,
                                               const ClassifierProgress& progress) const {
  std::size_t done = text.size();
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& r = rules_[i];
    if (!r.rule->applies(d)) continue;
    const std::size_t next = i < progress.next.size() ? progress.next[i] : 1;
    const std::size_t checked = r.rule->check_every == 0
                                    ? 0
                                    : boundary_at_or_before(text, (next - 1) * r.rule->check_every);
    done = std::min(done, checked);
  }
  return done;
}

}  // namespace chosei
