#pragma once
// PipelineFile: a named sequence of chosei commands (`chosei pipeline run FILE.json`), the
// demo's stages written once. Each stage has a name, the command after `chosei` as a list of
// arguments, and its own directory OUT/NAME. In arguments, ${out} is the stage's directory,
// ${NAME} an earlier stage's, and ${dir} the pipeline file's directory; relative paths are
// relative to the pipeline file's directory (the stage runs there).
//
//   {"name": "kumo", "out": "../../out/pipeline",
//    "stages": [{"name": "clean", "command": ["data", "clean", "conversations.jsonl",
//                                              "--out", "${out}/clean.jsonl"]},
//               {"name": "split", "command": ["data", "split", "${clean}/clean.jsonl", ...]}]}
//
// Optional per stage: "stdout" (a file the command's standard output goes to, e.g. a
// `--json` summary) and "numbers" (JSON or JSONL files whose numbers the report shows).

#include <cstddef>
#include <string>
#include <vector>

namespace chosei {

struct PipelineStage {
  std::string name;
  std::vector<std::string> command;  // as written, before substitution
  std::string stdout_file;
  std::vector<std::string> numbers;
};

struct PipelineFile {
  std::string path;  // the file, absolute
  std::string dir;   // its directory: where stages run
  std::string name;
  std::string out;  // absolute
  std::vector<PipelineStage> stages;

  // Reads and checks a pipeline file; errors name the file and the stage or field.
  // `out_override`: another output directory than the file's "out".
  static PipelineFile load(const std::string& path, const std::string& out_override = "");
  // The index of stage `name`; throws listing the stage names.
  std::size_t index_of(const std::string& name) const;
  std::string stage_dir(std::size_t stage) const;
};

// `text` with ${out}, ${dir} and ${NAME} replaced for stage `stage`; throws naming the
// stage and the unknown or later name.
std::string substitute(const std::string& text, const PipelineFile& file, std::size_t stage);

}  // namespace chosei
