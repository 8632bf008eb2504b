#include "pipeline/stage_fingerprint.h"

#include <algorithm>
#include <filesystem>

#include "base/sha256.h"

namespace fs = std::filesystem;

namespace chosei {

namespace {

// The pieces of an argument that may be paths: itself, the value of key=value or
// --flag=value, and each item of a comma-separated list.
std::vector<std::string> candidates(const std::string& arg) {
  std::vector<std::string> out = {arg};
  const auto eq = arg.find('=');
  const std::string value = eq == std::string::npos ? arg : arg.substr(eq + 1);
  if (eq != std::string::npos) out.push_back(value);
  std::size_t start = 0;
  if (value.find(',') != std::string::npos)
    for (;;) {
      const auto comma = value.find(',', start);
      out.push_back(value.substr(start, comma == std::string::npos ? comma : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  return out;
}

bool inside(const fs::path& path, const fs::path& dir) {
  const auto rel = path.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

std::vector<std::string> stage_inputs(const std::vector<std::string>& args,
                                      const std::string& own_dir, const std::string& cwd) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    // The command's own words ("data", "split") are not files, even where such files exist.
    if (i == 0 || (i == 1 && std::all_of(args[1].begin(), args[1].end(), [](char c) {
                     return (c >= 'a' && c <= 'z') || c == '-';
                   })))
      continue;
    for (const auto& c : candidates(args[i])) {
      if (c.empty() || c.size() > 4096 || c.front() == '-') continue;
      std::error_code ec;
      const auto p = (fs::path(cwd) / c).lexically_normal();
      if (!fs::exists(p, ec) || ec) continue;
      if (p == fs::path(own_dir) || inside(p, own_dir)) continue;
      if (std::find(out.begin(), out.end(), p.string()) == out.end()) out.push_back(p.string());
    }
  }
  return out;
}

std::string path_fingerprint(const std::string& path) {
  if (!fs::is_directory(path)) return sha256_file(path);
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(path))
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), path).string());
  std::sort(files.begin(), files.end());
  Sha256 h;
  for (const auto& f : files)
    h.update(f + "\n" + sha256_file((fs::path(path) / f).string()) + "\n");
  return h.hex();
}

std::string stage_fingerprint(const std::vector<std::string>& args,
                              const std::vector<std::string>& inputs) {
  Sha256 h;
  for (const auto& a : args) h.update("arg " + std::to_string(a.size()) + " " + a + "\n");
  for (const auto& p : inputs) h.update("input " + p + " " + path_fingerprint(p) + "\n");
  return h.hex();
}

}  // namespace chosei
