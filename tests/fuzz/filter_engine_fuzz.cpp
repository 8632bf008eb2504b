// libFuzzer target for the filter engine: any bytes through check (both directions) and
// through the streaming filter in chunks whose sizes come from the input. Properties: the
// redacted text is valid UTF-8, match spans lie inside the text, a stream reaches the
// whole-text decision, and one that is not blocked releases exactly the whole-text
// redaction. A classifier rule (a deterministic stand-in model) checks at checkpoints.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/unicode_text.h"
#include "filters/filter_engine.h"
#include "filters/stream_filter.h"
#include "filters/text_classifier.h"

using namespace chosei;

// A deterministic stand-in model for the classifier rules (the fuzzer tests the engine's
// checkpoints and streams, not a network): scores from the bytes seen.
class ByteClassifier : public TextClassifier {
 public:
  const std::vector<std::string>& labels() const override { return labels_; }
  std::vector<double> probabilities(std::string_view text) const override {
    std::size_t x = 0, bang = 0;
    for (unsigned char c : text) x = x * 31 + c, bang += c == '!';
    return {bang >= 3 ? 0.9 : 0.1, static_cast<double>(x % 100) / 100};
  }
  std::map<std::string, double> thresholds() const override { return {}; }

 private:
  std::vector<std::string> labels_ = {"shouting", "noise"};
};

static const FilterEngine& engine() {
  static const FilterEngine e = [] {
    set_text_classifier_loader(
        [](const std::string&) { return std::make_shared<ByteClassifier>(); });
    auto packs = load_rule_packs(builtin_pattern_pack_names());
    packs.push_back(parse_rule_pack(R"({"name": "learned", "rules": [
        {"id": "shout", "type": "classifier", "model": "m", "applies_to": "output",
         "check_every": 24, "categories": {"shouting": "block", "noise": {"action": "flag", "threshold": 0.7}}}]})",
                                    "fuzz"));
    return FilterEngine(std::move(packs));
  }();
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
  const auto whole = engine().check(text, FilterDirection::kOutput);
  if (stream.decision() != whole.decision) std::abort();
  if (!stream.blocked() && out != whole.redacted) std::abort();
  return 0;
}
