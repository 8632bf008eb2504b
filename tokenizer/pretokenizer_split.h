#pragma once
// The word-splitting regexes of byte-level BPE tokenizers, implemented by hand because
// RE2 has no lookahead (the `\s+(?!\S)` alternative) and these run on every byte we encode.
//
//   GPT-2:  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//            ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   Qwen2:  as Llama 3 with \p{N} (one digit per piece).
//
// Each function returns the byte spans of consecutive pieces covering the whole text,
// exactly as the regex's successive leftmost matches would.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chosei {

enum class SplitPattern { kGpt2, kLlama3, kQwen2 };

// Recognizes the pattern string of a tokenizer.json Split pre-tokenizer; false if unknown.
bool split_pattern_from_regex(const std::string& regex, SplitPattern* out);

// Spans (byte offset, byte length) of the pieces of `text`.
std::vector<std::pair<std::size_t, std::size_t>> split_words(std::string_view text,
                                                             SplitPattern pattern);

}  // namespace chosei
