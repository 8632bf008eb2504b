#include "generate/grammar_matcher.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <unordered_map>

namespace chosei {

namespace {
// Nested references expanded without consuming a byte; a deeper chain means the grammar
// recurses on the left, which the compiler never produces.
constexpr int kMaxExpansion = 256;
constexpr std::size_t kMaxStacks = 512;
}  // namespace

GrammarMatcher::GrammarMatcher(const Grammar& grammar) : grammar_(grammar) {
  for (auto start : grammar_.alternatives_of(grammar_.root())) {
    const std::int32_t s =
        grammar_.elements()[start].kind == Grammar::Element::kEnd ? -1 : push(start, -1);
    expand(s, stacks_, 0);
  }
}

std::int32_t GrammarMatcher::push(std::int32_t pos, std::int32_t parent) {
  frames_.push_back({pos, parent});
  return static_cast<std::int32_t>(frames_.size() - 1);
}

void GrammarMatcher::add_unique(Stacks& out, std::int32_t s) const {
  for (auto t : out) {
    if (t == s) return;
    if (t >= 0 && s >= 0 && frames_[t].pos == frames_[s].pos &&
        frames_[t].parent == frames_[s].parent)
      return;
  }
  if (out.size() >= kMaxStacks)
    throw std::runtime_error("the grammar is too ambiguous: more than " +
                             std::to_string(kMaxStacks) + " parses at once");
  out.push_back(s);
}

// Replaces rule references on top of `stack` by their alternatives until every stack's top
// is a byte class (or the stack is empty).
void GrammarMatcher::expand(std::int32_t stack, Stacks& out, int depth) {
  if (stack < 0) return add_unique(out, -1);
  if (depth > kMaxExpansion) throw std::runtime_error("grammar recursion without progress");
  const auto& elements = grammar_.elements();
  const Frame f = frames_[stack];
  const auto& e = elements[f.pos];
  if (e.kind == Grammar::Element::kBytes) return add_unique(out, stack);
  const bool last = elements[f.pos + 1].kind == Grammar::Element::kEnd;
  const std::int32_t rest = last ? f.parent : push(f.pos + 1, f.parent);
  for (auto start : grammar_.alternatives_of(e.rule)) {
    if (elements[start].kind == Grammar::Element::kEnd)
      expand(rest, out, depth + 1);
    else
      expand(push(start, rest), out, depth + 1);
  }
}

void GrammarMatcher::advance(const Stacks& from, unsigned char byte, Stacks& to) {
  to.clear();
  const auto& elements = grammar_.elements();
  for (auto s : from) {
    if (s < 0) continue;
    const Frame f = frames_[s];
    if (!elements[f.pos].bytes.test(byte)) continue;
    const bool last = elements[f.pos + 1].kind == Grammar::Element::kEnd;
    expand(last ? f.parent : push(f.pos + 1, f.parent), to, 0);
  }
}

std::int64_t GrammarMatcher::min_bytes(const Stacks& stacks) const {
  std::int64_t best = std::numeric_limits<std::int64_t>::max();
  for (auto s : stacks) {
    std::int64_t total = 0;
    for (auto f = s; f >= 0; f = frames_[f].parent)
      total += grammar_.min_bytes_from(frames_[f].pos);
    best = std::min(best, total);
  }
  return best;
}

std::string GrammarMatcher::signature(const Stacks& stacks) const {
  std::vector<std::int32_t> positions;
  for (auto s : stacks) {
    for (auto f = s; f >= 0; f = frames_[f].parent) positions.push_back(frames_[f].pos);
    positions.push_back(-1);
  }
  return std::string(reinterpret_cast<const char*>(positions.data()),
                     positions.size() * sizeof(std::int32_t));
}

bool GrammarMatcher::accepted(const Stacks& stacks) const {
  return std::find(stacks.begin(), stacks.end(), -1) != stacks.end();
}

bool GrammarMatcher::accepted() const { return accepted(stacks_); }

bool GrammarMatcher::accept(const std::string& bytes) {
  const auto m = mark();
  Stacks current = stacks_, next;
  for (unsigned char b : bytes) {
    advance(current, b, next);
    if (next.empty()) {
      rewind(m);
      return false;
    }
    current.swap(next);
  }
  stacks_ = std::move(current);
  compact();
  return true;
}

void GrammarMatcher::compact() {
  std::vector<Frame> kept;
  std::unordered_map<std::int32_t, std::int32_t> moved;
  // Copies a chain root-first so parents get their new ids before children.
  auto copy = [&](std::int32_t s, auto&& self) -> std::int32_t {
    if (s < 0) return -1;
    auto it = moved.find(s);
    if (it != moved.end()) return it->second;
    const std::int32_t parent = self(frames_[s].parent, self);
    kept.push_back({frames_[s].pos, parent});
    const auto id = static_cast<std::int32_t>(kept.size() - 1);
    moved.emplace(s, id);
    return id;
  };
  for (auto& s : stacks_) s = copy(s, copy);
  frames_.swap(kept);
}

}  // namespace chosei
