#pragma once
// DataParallel: data-parallel training over PyTorch's c10d process groups (Gloo on CPU),
// launched like torchrun: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (LOCAL_RANK ignored
// on CPU). Every process builds the same batch order; each takes its share of every
// step's micro-batches, and gradients are summed across processes, so the update equals
// one process accumulating the whole global batch. Only rank 0 writes files.

#include <torch/torch.h>

#include <memory>
#include <vector>

namespace chosei {

class DataParallel {
 public:
  // Null when WORLD_SIZE is unset or 1. Throws std::runtime_error naming the variable
  // when the environment is incomplete or the rendezvous fails.
  static std::shared_ptr<DataParallel> from_environment();
  ~DataParallel();

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  // Sums each tensor across processes, in place (one flattened all-reduce).
  void all_reduce_sum(const std::vector<torch::Tensor>& tensors);
  double all_reduce_sum(double value);

 private:
  struct Group;
  DataParallel(int rank, int world_size, std::unique_ptr<Group> group);
  int rank_, world_size_;
  std::unique_ptr<Group> group_;
};

// This process's rank from RANK (0 when unset): the one that writes files.
int process_rank();
// The number of processes from WORLD_SIZE (1 when unset).
int process_world_size();

}  // namespace chosei
