#pragma once
// What a pipeline stage consumed, as one hash: its command (after substitution) and the
// content of every file or directory its arguments name outside its own directory (an
// argument, the value of key=value, each item of a comma list). A stage is skipped when
// this hash equals the one recorded at its last success, so a changed setting, a changed
// input file, or an earlier stage that wrote different bytes runs it again. The chosei
// executable itself is not part of the hash: after an upgrade, `--from` reruns on purpose.

#include <string>
#include <vector>

namespace chosei {

// The existing paths `args` (the command after `chosei`) name, resolved against `cwd`,
// outside `own_dir`, in order, each once; the command's own words are not paths.
std::vector<std::string> stage_inputs(const std::vector<std::string>& args,
                                      const std::string& own_dir, const std::string& cwd);

// SHA-256 of a file's bytes, or of a directory's sorted (relative path, file hash) list.
std::string path_fingerprint(const std::string& path);

std::string stage_fingerprint(const std::vector<std::string>& args,
                              const std::vector<std::string>& inputs);

}  // namespace chosei
