#pragma once
// CheckpointStore: the checkpoints/ folder of a run directory. A checkpoint step-N/ holds
// what the recipe saves to make it a usable model (an HF model directory or a PEFT
// adapter), plus what exact resume needs: every trainable tensor in fp32
// (trainable.safetensors), the optimizer state (optimizer.pt) and the loop's state
// (trainer_state.json, written last).
//
// A checkpoint is written into step-N.tmp/, every file fsync'ed, then renamed to step-N/,
// so a kill leaves either the whole checkpoint or a .tmp folder that is never loaded
// (and is removed by the next save). Only the newest `keep` complete checkpoints stay.

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "train/optimizer_setup.h"

namespace chosei {

class CheckpointStore {
 public:
  // `run_dir`/checkpoints is the folder.
  CheckpointStore(std::string run_dir, std::int64_t keep);

  // `save_model(dir)` writes the recipe's model files into dir.
  void save(std::int64_t step, const nlohmann::json& state,
            const std::function<void(const std::string&)>& save_model,
            const NamedParameters& trainable, torch::optim::Optimizer& optimizer) const;

  // Restores the trainable tensors (by name, exact shape) and the optimizer from `dir`, and
  // returns its trainer_state.json. Throws naming the file when one is missing or does not
  // match the run (a tensor absent or of another shape).
  static nlohmann::json load(const std::string& dir, const NamedParameters& trainable,
                             torch::optim::Optimizer& optimizer);

  // The newest complete checkpoint, if any.
  std::optional<std::string> latest() const;
  // Whether `dir` holds every file a checkpoint is written with.
  static bool is_complete(const std::string& dir);

 private:
  std::string root_;
  std::int64_t keep_;
};

}  // namespace chosei
