#include "filters/stream_filter.h"

#include <algorithm>

namespace chosei {

namespace {

// Length of the longest prefix of `s` that does not end inside a UTF-8 sequence.
std::size_t complete_prefix(std::string_view s) {
  for (std::size_t back = 1; back <= std::min<std::size_t>(3, s.size()); ++back) {
    const auto c = static_cast<unsigned char>(s[s.size() - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back
    const std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back && c >= 0xC0 ? s.size() - back : s.size();
  }
  return s.size();
}

// The window [begin, size) of `norm` as a NormalizedText of its own.
NormalizedText window(const NormalizedText& norm, std::size_t begin) {
  NormalizedText w;
  w.text = norm.text.substr(begin);
  w.source.assign(norm.source.begin() + static_cast<std::ptrdiff_t>(begin), norm.source.end());
  return w;
}

}  // namespace

StreamFilter::StreamFilter(const FilterEngine& engine, FilterDirection direction,
                           std::string_view context)
    : engine_(engine), direction_(direction) {
  progress_.context = to_valid_utf8(context);
}

std::string StreamFilter::push(std::string_view chunk) {
  if (blocked()) return "";
  partial_.append(chunk);
  const std::size_t complete = complete_prefix(partial_);
  const std::size_t old_size = text_.size();
  text_ += to_valid_utf8(std::string_view(partial_).substr(0, complete));
  partial_.erase(0, complete);
  // Renormalize from the start of the last cluster: new combining marks may extend it.
  std::size_t cut = norm_.source.empty() ? 0 : norm_.source.back().begin;
  cut = std::min(cut, old_size);
  std::size_t keep = norm_.source.size();
  while (keep > 0 && norm_.source[keep - 1].begin >= cut) --keep;
  norm_.text.resize(keep);
  norm_.source.resize(keep);
  auto tail = normalize_for_matching(std::string_view(text_).substr(cut));
  norm_.text += tail.text;
  for (auto s : tail.source) norm_.source.push_back({s.begin + cut, s.end + cut});
  absorb(engine_.classify(text_, false, direction_, progress_));
  if (blocked()) return "";
  return release(false);
}

void StreamFilter::absorb(std::vector<FilterMatch> classifier_matches) {
  for (auto& m : classifier_matches) {
    if (m.action == FilterAction::kBlock) decision_ = FilterDecision::kBlock;
    matches_.push_back(std::move(m));
  }
}

std::string StreamFilter::finish() {
  if (blocked()) return "";
  std::string out;
  if (!partial_.empty()) {  // a truncated UTF-8 sequence at the very end: as to_valid_utf8 does,
    std::string replaced;   // one U+FFFD per byte
    for (std::size_t i = 0; i < partial_.size(); ++i) replaced += "\xEF\xBF\xBD";
    partial_.clear();
    out = push(replaced);
  }
  if (blocked()) return out;
  absorb(engine_.classify(text_, true, direction_, progress_));
  if (blocked()) return out;
  return out + release(true);
}

std::string StreamFilter::release(bool at_end) {
  const std::size_t L = norm_.text.size();
  std::size_t R = at_end ? L : engine_.hold_from(norm_.text, direction_);
  if (!at_end) {  // nothing the classifier rules have not seen yet
    const std::size_t limit = engine_.classified_prefix(text_, direction_, progress_);
    while (R > norm_released_ && (R < L ? norm_.source[R].begin : text_.size()) > limit) --R;
  }
  if (R <= norm_released_ && !at_end) return "";
  const std::size_t ctx = norm_released_ >= 8 ? norm_released_ - 8 : 0;
  auto found = engine_.find(text_, window(norm_, ctx), norm_released_ - ctx, direction_);
  for (auto& m : found)
    m.norm_start += ctx, m.norm_end += ctx, m.candidate_start += ctx, m.candidate_end += ctx;
  // Release only up to a point no match (nor the candidate it was cut from) crosses and no
  // cluster straddles.
  for (bool moved = true; moved && !at_end;) {
    moved = false;
    for (const auto& m : found) {
      const std::size_t begin = std::min(m.norm_start, m.candidate_start),
                        end = std::max(m.norm_end, m.candidate_end);
      if (begin < R && end > R) R = begin, moved = true;
    }
    while (R > norm_released_ && R < L && norm_.source[R].begin == norm_.source[R - 1].begin)
      --R, moved = true;
  }
  if (R <= norm_released_ && !at_end) return "";
  const std::size_t orig_end = R < L ? norm_.source[R].begin : text_.size();
  std::vector<FilterMatch> final_matches;
  for (auto& m : found)
    if (m.norm_start < R) {
      m.byte_start -= released_;
      m.byte_end -= released_;
      final_matches.push_back(std::move(m));
    }
  const std::string_view segment = std::string_view(text_).substr(released_, orig_end - released_);
  auto result = decide(segment, final_matches);
  if (result.decision == FilterDecision::kBlock) {
    // Send what came before the first blocked span, then nothing more.
    std::size_t stop = segment.size();
    for (const auto& m : result.matches)
      if (m.action == FilterAction::kBlock) stop = std::min(stop, m.byte_start);
    std::vector<FilterMatch> before;
    for (const auto& m : result.matches)
      if (m.byte_end <= stop) before.push_back(m);
    result.redacted = decide(segment.substr(0, stop), before).redacted;
    decision_ = FilterDecision::kBlock;
  } else if (result.decision == FilterDecision::kRedact) {
    decision_ = FilterDecision::kRedact;
  }
  for (auto& m : result.matches) {
    m.byte_start += released_;
    m.byte_end += released_;
    matches_.push_back(m);
  }
  released_ = orig_end;
  norm_released_ = R;
  return result.redacted;
}

}  // namespace chosei
