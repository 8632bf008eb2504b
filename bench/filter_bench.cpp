#include "bench/filter_bench.h"

#include <chrono>
#include <iostream>
#include <vector>

#include "base/atomic_file.h"
#include "datasets/text_lines.h"
#include "filters/filter_engine.h"
#include "filters/stream_filter.h"

namespace chosei {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::vector<std::string> lines_of(const std::string& file) {
  std::vector<std::string> lines;
  for (auto& l : split_nonblank_lines(read_file(file))) lines.push_back(std::move(l.text));
  return lines;
}

}  // namespace

int bench_filter_check(const std::string& file, bool with_classifier) {
  const FilterEngine engine(with_classifier ? load_builtin_packs()
                                            : load_rule_packs(builtin_pattern_pack_names()));
  const auto lines = lines_of(file);
  std::size_t bytes = 0, matches = 0;
  for (const auto& l : lines) bytes += l.size();
  const double classifier_before = engine.classifier_timing().seconds;  // the pack examples ran it
  auto t0 = Clock::now();
  for (const auto& l : lines) matches += engine.check(l, FilterDirection::kInput).matches.size();
  const double s = seconds_since(t0);
  std::cout << "check_mb_per_s " << bytes / s / 1e6 << " lines " << lines.size() << " matches "
            << matches << " ms_per_text " << s * 1e3 / double(lines.size()) << " classifier_ms "
            << (engine.classifier_timing().seconds - classifier_before) * 1e3 / double(lines.size())
            << "\n";
  return 0;
}

int bench_filter_stream(const std::string& file) {
  const FilterEngine engine(load_rule_packs(builtin_pattern_pack_names()));
  const auto lines = lines_of(file);
  // Each line streams as an answer, in 4-byte chunks (about one token of English).
  std::size_t chunks = 0, held = 0;
  double seconds = 0;
  for (const auto& l : lines) {
    StreamFilter stream(engine, FilterDirection::kOutput);
    for (std::size_t i = 0; i < l.size(); i += 4, ++chunks) {
      auto t0 = Clock::now();
      stream.push(l.substr(i, 4));
      seconds += seconds_since(t0);
      held += stream.held_back();
    }
    stream.finish();
  }
  std::cout << "us_per_token " << seconds * 1e6 / double(chunks) << " tokens " << chunks
            << " mean_held_bytes " << double(held) / double(chunks) << "\n";
  return 0;
}

}  // namespace chosei
