#pragma once
// Whether an answer refuses: the string-match classifier XSTest uses for automatic
// evaluation (Röttger et al. 2023, arXiv 2308.01263, Sec. 4: a refusal starts with or
// contains phrases such as "I'm sorry", "I cannot", "As an AI"), with the Japanese phrases a
// support assistant refuses with. A heuristic: it measures over-refusal on benign prompts,
// it is not a judge of harm.

#include <string>

namespace chosei {

bool is_refusal(const std::string& answer);

}  // namespace chosei
