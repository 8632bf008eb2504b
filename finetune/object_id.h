#pragma once
// Object ids in OpenAI's spelling: a prefix ("file-", "ftjob-", "ftevent-", "ftckpt_") and
// random letters and digits from the system's entropy, so ids cannot be guessed from others.

#include <string>

namespace chosei {

// `prefix` followed by `length` characters of [A-Za-z0-9].
std::string random_object_id(const std::string& prefix, std::size_t length = 24);

}  // namespace chosei
