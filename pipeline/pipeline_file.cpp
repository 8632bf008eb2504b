#include "pipeline/pipeline_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace fs = std::filesystem;
using nlohmann::json;

namespace chosei {

namespace {

// Commands that end on their own and write files; servers and interactive ones are not stages.
const std::vector<std::string> kStageCommands = {
    "data", "tokenizer", "model", "pretrain",   "sft",    "reward",   "align",
    "eval", "export",    "lora",  "classifier", "filter", "generate", "label"};

bool plain_name(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

std::vector<std::string> strings(const json& j, const std::string& where) {
  if (!j.is_array()) throw std::invalid_argument(where + " must be a list of strings");
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string())
      throw std::invalid_argument(where + " must be a list of strings, has " + v.dump());
    out.push_back(v);
  }
  return out;
}

void check_command(const PipelineStage& s, const std::string& where) {
  if (s.command.empty()) throw std::invalid_argument(where + ".command is empty");
  const auto& first = s.command.front();
  if (std::find(kStageCommands.begin(), kStageCommands.end(), first) == kStageCommands.end())
    throw std::invalid_argument(where + ".command: \"" + first +
                                "\" is not a command a stage can run (servers and pipelines "
                                "are not)");
  if (first == "label" && (s.command.size() < 2 || s.command[1] == "serve"))
    throw std::invalid_argument(where + ".command: `label serve` runs until stopped; not a stage");
}

PipelineStage stage_of(const json& j, const std::string& where) {
  if (!j.is_object()) throw std::invalid_argument(where + " must be an object");
  for (const auto& [k, v] : j.items())
    if (k != "name" && k != "command" && k != "stdout" && k != "numbers" && k != "about")
      throw std::invalid_argument(where + ": unknown key \"" + k +
                                  "\" (known: name, command, stdout, numbers, about)");
  PipelineStage s;
  if (!j.contains("name") || !j["name"].is_string() || !plain_name(j["name"]))
    throw std::invalid_argument(where + ".name must be letters, digits, '_' or '-'");
  s.name = j["name"];
  if (!j.contains("command")) throw std::invalid_argument(where + ".command is required");
  s.command = strings(j["command"], where + ".command");
  if (j.contains("stdout")) {
    if (!j["stdout"].is_string()) throw std::invalid_argument(where + ".stdout must be a string");
    s.stdout_file = j["stdout"];
  }
  if (j.contains("numbers")) s.numbers = strings(j["numbers"], where + ".numbers");
  check_command(s, where);
  return s;
}

}  // namespace

PipelineFile PipelineFile::load(const std::string& path, const std::string& out_override) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read the pipeline file");
  const auto j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw std::invalid_argument(path + ": not a JSON object");
  PipelineFile f;
  f.path = fs::absolute(path).lexically_normal().string();
  f.dir = fs::path(f.path).parent_path().string();
  f.name = j.value("name", fs::path(path).stem().string());
  if (!out_override.empty())
    f.out = fs::absolute(out_override).lexically_normal().string();
  else if (!j.contains("out") || !j["out"].is_string())
    throw std::invalid_argument(path + ": \"out\" (the output directory) is required");
  else
    f.out = (fs::path(f.dir) / j["out"].get<std::string>()).lexically_normal().string();
  if (!j.contains("stages") || !j["stages"].is_array() || j["stages"].empty())
    throw std::invalid_argument(path + ": \"stages\" must be a non-empty list");
  for (std::size_t i = 0; i < j["stages"].size(); ++i) {
    const auto where = path + ": stages[" + std::to_string(i) + "]";
    auto s = stage_of(j["stages"][i], where);
    for (const auto& earlier : f.stages)
      if (earlier.name == s.name)
        throw std::invalid_argument(where + ": the name \"" + s.name + "\" is used twice");
    if (s.name == "out" || s.name == "dir" || s.name == "logs")
      throw std::invalid_argument(where + ": the name \"" + s.name + "\" is reserved");
    f.stages.push_back(std::move(s));
  }
  for (std::size_t i = 0; i < f.stages.size(); ++i) {
    const auto& s = f.stages[i];
    for (const auto& a : s.command) substitute(a, f, i);  // unknown names fail at load
    substitute(s.stdout_file, f, i);
    for (const auto& n : s.numbers) substitute(n, f, i);
  }
  return f;
}

std::size_t PipelineFile::index_of(const std::string& name) const {
  std::string names;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    if (stages[i].name == name) return i;
    names += (i ? ", " : "") + stages[i].name;
  }
  throw std::invalid_argument(path + ": no stage \"" + name + "\" (stages: " + names + ")");
}

std::string PipelineFile::stage_dir(std::size_t stage) const {
  return (fs::path(out) / stages.at(stage).name).string();
}

std::string substitute(const std::string& text, const PipelineFile& file, std::size_t stage) {
  std::string out;
  std::size_t at = 0;
  for (;;) {
    const auto open = text.find("${", at);
    if (open == std::string::npos) return out + text.substr(at);
    const auto close = text.find('}', open);
    if (close == std::string::npos)
      throw std::invalid_argument(file.path + ": stage " + file.stages[stage].name +
                                  ": unclosed ${ in \"" + text + "\"");
    out += text.substr(at, open - at);
    const auto name = text.substr(open + 2, close - open - 2);
    if (name == "out") {
      out += file.stage_dir(stage);
    } else if (name == "dir") {
      out += file.dir;
    } else {
      std::size_t i = 0;
      while (i < file.stages.size() && file.stages[i].name != name) ++i;
      if (i >= stage)
        throw std::invalid_argument(
            file.path + ": stage " + file.stages[stage].name + ": ${" + name + "} " +
            (i < file.stages.size() ? "is not an earlier stage" : "names no stage") +
            " (a stage reads what earlier stages wrote)");
      out += file.stage_dir(i);
    }
    at = close + 1;
  }
}

}  // namespace chosei
