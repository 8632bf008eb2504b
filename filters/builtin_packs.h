#pragma once
// The rule packs compiled into the binary (filters/packs/*.json, embedded at build time).

#include <string>
#include <utility>
#include <vector>

namespace chosei {

// (name, JSON text) for every built-in pack, in a fixed order.
const std::vector<std::pair<std::string, std::string>>& builtin_pack_sources();

}  // namespace chosei
