#pragma once
// Moves named tensors between torch modules and safetensors files, single or sharded
// (model.safetensors.index.json, as transformers writes it).

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "formats/dtype.h"
#include "formats/safetensors_reader.h"

namespace chosei {

// Copies a safetensors view into a new tensor of the view's dtype and shape.
torch::Tensor tensor_from_view(const TensorView& view);

// Reads every tensor of a model directory's checkpoint: model.safetensors, or the shards
// named by model.safetensors.index.json. Throws naming the file when neither exists or a
// shard is missing or corrupt.
std::map<std::string, torch::Tensor> read_checkpoint_tensors(const std::string& dir);

// The safetensors files of a model directory's checkpoint (one, or the index's shards).
std::vector<std::string> checkpoint_files(const std::string& dir);

// Loads `tensors` into `module`'s parameters by name, converting to fp32. Every parameter
// must be present with its exact shape; names in `ignore` may be absent or extra; any
// other extra tensor is an error. `source` names the checkpoint in messages.
void load_parameters(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                     const std::string& source, const std::vector<std::string>& ignore = {});

// Loads a model directory's checkpoint (as read_checkpoint_tensors finds it) into `module`'s
// parameters with load_parameters' checks, one tensor at a time: each is copied from the
// file's map into its parameter and its pages dropped, so loading holds one copy of the
// weights, not two. Returns the floating type the checkpoint stores its weights in (F32
// when they differ).
DType load_checkpoint_parameters(torch::nn::Module& module, const std::string& dir,
                                 const std::vector<std::string>& ignore = {});

// The floating type every tensor of a model directory's checkpoint is stored in (F32 when
// they differ), from the files' headers alone.
DType checkpoint_dtype(const std::string& dir);

// Writes `tensors` as `dir`/model.safetensors, or as shards of at most `max_shard_bytes`
// (model-0000i-of-0000n.safetensors + model.safetensors.index.json) when they do not fit.
// Tensors are converted to `dtype` (F32, F16 or BF16).
void write_checkpoint_tensors(const std::string& dir,
                              const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                              DType dtype = DType::F32,
                              std::size_t max_shard_bytes = 5ull * 1024 * 1024 * 1024);

torch::ScalarType to_scalar_type(DType dtype);

}  // namespace chosei
