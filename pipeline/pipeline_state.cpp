#include "pipeline/pipeline_state.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/atomic_file.h"

using nlohmann::json;

namespace chosei {

PipelineState::PipelineState(std::string path) : path_(std::move(path)) {
  if (!std::filesystem::exists(path_)) return;
  const auto j = json::parse(read_file(path_), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("stages") || !j["stages"].is_object())
    throw std::runtime_error(path_ + ": not a pipeline state file (delete it to start over)");
  for (const auto& [name, r] : j["stages"].items())
    stages_[name] = {r.value("started", ""), r.value("succeeded", ""), r.value("seconds", 0.0),
                     r.value("finished_at", std::int64_t{0})};
}

StageRecord PipelineState::get(const std::string& stage) const {
  const auto it = stages_.find(stage);
  return it == stages_.end() ? StageRecord{} : it->second;
}

void PipelineState::set(const std::string& stage, const StageRecord& record) {
  stages_[stage] = record;
  json stages = json::object();
  for (const auto& [name, r] : stages_)
    stages[name] = {{"started", r.started},
                    {"succeeded", r.succeeded},
                    {"seconds", r.seconds},
                    {"finished_at", r.finished_at}};
  write_file_atomic(path_, json{{"stages", stages}}.dump(2) + "\n");
}

}  // namespace chosei
