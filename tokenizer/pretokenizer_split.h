#pragma once
// The word-splitting regexes of byte-level BPE tokenizers, implemented by hand because
// RE2 has no lookahead (the `\s+(?!\S)` alternative) and these run on every byte we encode.
//
//   GPT-2:  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//            ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   Qwen2:  as Llama 3 with \p{N} (one digit per piece).
//   o200k (GPT-4o, Phi-4-mini):
//           [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|...)?|
//           [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|...)?|
//           \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
//           (words split at case changes, contractions kept on their word)
//
// Each function returns the byte spans of consecutive pieces covering the whole text,
// exactly as the regex's successive leftmost matches would.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chosei {

enum class SplitPattern { kGpt2, kLlama3, kQwen2, kO200k };

// Recognizes the pattern string of a tokenizer.json Split pre-tokenizer; false if unknown.
bool split_pattern_from_regex(const std::string& regex, SplitPattern* out);
// The pattern string tokenizer.json files carry for `pattern`.
std::string split_pattern_regex(SplitPattern pattern);

// Spans (byte offset, byte length) of the pieces of `text`.
std::vector<std::pair<std::size_t, std::size_t>> split_words(std::string_view text,
                                                             SplitPattern pattern);

}  // namespace chosei
