// libFuzzer target for the filter engine: any bytes through check (both directions) and
// through the streaming filter in chunks whose sizes come from the input. Properties: the
// redacted text is valid UTF-8, match spans lie inside the text, and a stream that is not
// blocked releases exactly the whole-text redaction.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/unicode_text.h"
#include "filters/filter_engine.h"
#include "filters/stream_filter.h"

using namespace chosei;

static const FilterEngine& engine() {
  static const FilterEngine e(load_builtin_packs());
  return e;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 16;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  for (auto direction : {FilterDirection::kInput, FilterDirection::kOutput}) {
    auto r = engine().check(text, direction);
    if (!is_valid_utf8(r.redacted)) std::abort();
    for (const auto& m : r.matches)
      if (m.byte_start >= m.byte_end || m.start >= m.end) std::abort();
  }
  StreamFilter stream(engine(), FilterDirection::kOutput);
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += chunk) out += stream.push(text.substr(i, chunk));
  out += stream.finish();
  if (!is_valid_utf8(out)) std::abort();
  if (!stream.blocked() && out != engine().check(text, FilterDirection::kOutput).redacted)
    std::abort();
  return 0;
}
