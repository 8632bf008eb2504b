#include "generate/grammar.h"

#include <limits>
#include <stdexcept>

namespace chosei {

namespace {
constexpr std::int64_t kUnreachable = std::numeric_limits<std::int64_t>::max() / 4;
}

Grammar::Element Grammar::bytes(const std::string& set) {
  Element e;
  e.kind = Element::kBytes;
  for (unsigned char c : set) e.bytes.set(c);
  return e;
}

Grammar::Element Grammar::range(unsigned char lo, unsigned char hi) {
  Element e;
  e.kind = Element::kBytes;
  for (unsigned c = lo; c <= hi; ++c) e.bytes.set(c);
  return e;
}

Grammar::Element Grammar::any_except(const std::string& set, unsigned char below) {
  Element e;
  e.kind = Element::kBytes;
  e.bytes.set();
  for (unsigned c = 0; c < below; ++c) e.bytes.reset(c);
  for (unsigned char c : set) e.bytes.reset(c);
  return e;
}

Grammar::Element Grammar::ref(std::int32_t rule) {
  Element e;
  e.kind = Element::kRule;
  e.rule = rule;
  return e;
}

Grammar::Sequence Grammar::literal(const std::string& text) {
  Sequence s;
  for (unsigned char c : text) s.push_back(range(c, c));
  return s;
}

std::int32_t Grammar::rule(const std::string& name) {
  if (root_ >= 0) throw std::logic_error("grammar already finished");
  names_.push_back(name);
  alternatives_.emplace_back();
  return static_cast<std::int32_t>(names_.size() - 1);
}

void Grammar::add(std::int32_t rule, Sequence alternative) {
  if (root_ >= 0) throw std::logic_error("grammar already finished");
  alternatives_.at(static_cast<std::size_t>(rule)).push_back(std::move(alternative));
}

void Grammar::finish(std::int32_t root) {
  const auto n = static_cast<std::int32_t>(alternatives_.size());
  if (root < 0 || root >= n) throw std::invalid_argument("grammar root is not a rule");
  starts_.assign(alternatives_.size(), {});
  for (std::int32_t r = 0; r < n; ++r) {
    if (alternatives_[r].empty())
      throw std::invalid_argument("grammar rule " + names_[r] + " has no alternatives");
    for (const auto& alt : alternatives_[r]) {
      starts_[r].push_back(static_cast<std::int32_t>(elements_.size()));
      for (const auto& e : alt) {
        if (e.kind == Element::kRule && (e.rule < 0 || e.rule >= n))
          throw std::invalid_argument("grammar rule " + names_[r] + " refers to no rule");
        elements_.push_back(e);
      }
      elements_.push_back(Element{});
    }
  }
  root_ = root;
  compute_min_lengths();
}

// Fixpoint: a rule's length is its shortest alternative's; an alternative's is the sum of
// its elements' (a byte class 1). Iterates until nothing shrinks.
void Grammar::compute_min_lengths() {
  std::vector<std::int64_t> rule_min(alternatives_.size(), kUnreachable);
  suffix_min_.assign(elements_.size(), kUnreachable);
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = elements_.size(); i-- > 0;) {
      const auto& e = elements_[i];
      std::int64_t v = 0;
      if (e.kind != Element::kEnd) {
        const std::int64_t head = e.kind == Element::kBytes ? 1 : rule_min[e.rule];
        v = std::min(kUnreachable, head + suffix_min_[i + 1]);
      }
      if (v < suffix_min_[i]) suffix_min_[i] = v, changed = true;
    }
    for (std::size_t r = 0; r < starts_.size(); ++r)
      for (auto start : starts_[r])
        if (suffix_min_[start] < rule_min[r]) rule_min[r] = suffix_min_[start], changed = true;
  }
  for (std::size_t r = 0; r < rule_min.size(); ++r)
    if (rule_min[r] >= kUnreachable)
      throw std::invalid_argument("grammar rule " + names_[r] + " derives no finite string");
}

}  // namespace chosei
