#pragma once
// Answer-quality metrics against a reference text.
//   token F1: SQuAD's bag-of-tokens F1 (Rajpurkar et al. 2016, arXiv 1606.05250, sec. 6):
//             P = overlap / |answer|, R = overlap / |reference|, F1 = 2PR / (P + R).
//   ROUGE-L:  F-measure of the longest common subsequence (Lin 2004, "ROUGE", sec. 3.1,
//             eqs. 2-4) with beta = 1, as the rouge_score package reports it.
// Tokens: lowercased words with punctuation stripped, and every CJK character a token of
// its own (Japanese has no spaces to split on).

#include <string>
#include <vector>

namespace chosei {

std::vector<std::string> metric_tokens(const std::string& text);
double token_f1(const std::string& answer, const std::string& reference);
double rouge_l(const std::string& answer, const std::string& reference);

}  // namespace chosei
