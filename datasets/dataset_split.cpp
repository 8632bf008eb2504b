#include "datasets/dataset_split.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <vector>

#include "base/atomic_file.h"
#include "datasets/text_lines.h"

namespace chosei {

namespace {

std::string stratum(const NumberedLine& l, const std::string& field, const std::string& path) {
  auto j = nlohmann::json::parse(l.text, nullptr, false);
  const std::string at = path + ":" + std::to_string(l.number);
  if (j.is_discarded() || !j.is_object()) throw std::runtime_error(at + ": not a JSON object");
  if (!j.contains(field))
    throw std::runtime_error(at + ": no field \"" + field + "\" to stratify by");
  return j[field].is_string() ? j[field].get<std::string>() : j[field].dump();
}

}  // namespace

SplitCounts split_jsonl(const std::string& path, const std::string& out_dir,
                        const SplitOptions& opt) {
  if (!(opt.val_fraction >= 0 && opt.val_fraction < 1))
    throw std::invalid_argument("--val must be in [0, 1), got " + std::to_string(opt.val_fraction));
  auto lines = read_nonblank_lines(path);
  std::map<std::string, std::vector<std::size_t>> strata;
  for (std::size_t i = 0; i < lines.size(); ++i)
    strata[opt.stratify_field.empty() ? "" : stratum(lines[i], opt.stratify_field, path)].push_back(
        i);
  std::mt19937_64 rng(opt.seed);
  std::vector<bool> is_val(lines.size(), false);
  for (auto& [key, idx] : strata) {
    std::shuffle(idx.begin(), idx.end(), rng);
    auto take =
        static_cast<std::size_t>(std::llround(opt.val_fraction * static_cast<double>(idx.size())));
    for (std::size_t k = 0; k < take; ++k) is_val[idx[k]] = true;
  }
  std::filesystem::create_directories(out_dir);
  SplitCounts counts;
  auto write = [&](const std::string& name, bool val) {
    write_file_atomic((std::filesystem::path(out_dir) / name).string(), [&](std::ostream& out) {
      for (std::size_t i = 0; i < lines.size(); ++i)
        if (is_val[i] == val) out << lines[i].text << '\n';
    });
  };
  write("train.jsonl", false);
  write("val.jsonl", true);
  for (bool v : is_val) (v ? counts.val : counts.train)++;
  return counts;
}

}  // namespace chosei
