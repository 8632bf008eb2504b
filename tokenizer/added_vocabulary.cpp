#include "tokenizer/added_vocabulary.h"

#include <cctype>

#include "base/unicode_text.h"

namespace chosei {

namespace {
bool ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool word_char(unsigned char c) { return c >= 0x80 || std::isalnum(c) || c == '_'; }
}  // namespace

void AddedVocabulary::add(AddedToken token) {
  if (token.content.empty()) return;
  by_id_[token.id] = tokens_.size();
  by_first_byte_[static_cast<unsigned char>(token.content[0])].push_back(tokens_.size());
  tokens_.push_back(std::move(token));
}

const AddedToken* AddedVocabulary::find(TokenId id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

TokenId AddedVocabulary::find(const std::string& content) const {
  for (const auto& t : tokens_)
    if (t.content == content) return t.id;
  return -1;
}

const AddedToken* AddedVocabulary::match_at(std::string_view text, std::size_t pos) const {
  auto it = by_first_byte_.find(static_cast<unsigned char>(text[pos]));
  if (it == by_first_byte_.end()) return nullptr;
  const AddedToken* best = nullptr;
  for (auto idx : it->second) {
    const auto& t = tokens_[idx];
    if (text.compare(pos, t.content.size(), t.content) != 0) continue;
    if (t.single_word) {
      std::size_t end = pos + t.content.size();
      if ((pos > 0 && word_char(text[pos - 1])) || (end < text.size() && word_char(text[end])))
        continue;
    }
    if (!best || t.content.size() > best->content.size()) best = &t;
  }
  return best;
}

std::vector<AddedVocabulary::Piece> AddedVocabulary::split(std::string_view text) const {
  std::vector<Piece> pieces;
  if (tokens_.empty()) {
    if (!text.empty()) pieces.push_back({text, -1});
    return pieces;
  }
  std::size_t segment_start = 0, pos = 0;
  while (pos < text.size()) {
    const AddedToken* t = match_at(text, pos);
    if (!t) {
      ++pos;
      continue;
    }
    std::size_t start = pos, end = pos + t->content.size();
    if (t->lstrip)
      while (start > segment_start && ascii_space(text[start - 1])) --start;
    if (t->rstrip)
      while (end < text.size() && ascii_space(text[end])) ++end;
    if (start > segment_start)
      pieces.push_back({text.substr(segment_start, start - segment_start), -1});
    pieces.push_back({text.substr(start, end - start), t->id});
    segment_start = pos = end;
  }
  if (segment_start < text.size()) pieces.push_back({text.substr(segment_start), -1});
  return pieces;
}

}  // namespace chosei
