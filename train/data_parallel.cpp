#include "train/data_parallel.h"

#include <algorithm>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace chosei {

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
};

namespace {

std::string env_or_throw(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v)
    throw std::runtime_error(std::string("data-parallel launch: ") + name + " is not set");
  return v;
}

int env_int(const char* name) {
  const std::string v = env_or_throw(name);
  try {
    return std::stoi(v);
  } catch (const std::exception&) {
    throw std::runtime_error(std::string("data-parallel launch: ") + name + "=\"" + v +
                             "\" is not an integer");
  }
}

}  // namespace

int process_rank() {
  const char* v = std::getenv("RANK");
  return v && *v ? std::atoi(v) : 0;
}

int process_world_size() {
  const char* v = std::getenv("WORLD_SIZE");
  return v && *v ? std::max(1, std::atoi(v)) : 1;
}

std::shared_ptr<DataParallel> DataParallel::from_environment() {
  const char* ws = std::getenv("WORLD_SIZE");
  if (!ws || !*ws || std::string(ws) == "1") return nullptr;
  const int world = env_int("WORLD_SIZE"), rank = env_int("RANK");
  if (world < 1 || rank < 0 || rank >= world)
    throw std::runtime_error("data-parallel launch: RANK " + std::to_string(rank) +
                             " outside WORLD_SIZE " + std::to_string(world));
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(env_int("MASTER_PORT"));
  opts.isServer = rank == 0;
  opts.numWorkers = world;
  opts.waitWorkers = true;
  opts.timeout = std::chrono::seconds(120);
  auto group = std::make_unique<Group>();
  group->store = c10::make_intrusive<c10d::TCPStore>(env_or_throw("MASTER_ADDR"), opts);
  auto options = c10d::ProcessGroupGloo::Options::create();
  options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  group->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(group->store, rank, world, options);
  return std::shared_ptr<DataParallel>(new DataParallel(rank, world, std::move(group)));
}

DataParallel::DataParallel(int rank, int world_size, std::unique_ptr<Group> group)
    : rank_(rank), world_size_(world_size), group_(std::move(group)) {}

DataParallel::~DataParallel() = default;

void DataParallel::all_reduce_sum(const std::vector<torch::Tensor>& tensors) {
  if (tensors.empty()) return;
  std::vector<torch::Tensor> flat_parts;
  for (const auto& t : tensors) flat_parts.push_back(t.reshape({-1}));
  std::vector<torch::Tensor> buffer{torch::cat(flat_parts)};
  group_->pg->allreduce(buffer)->wait();
  std::int64_t offset = 0;
  for (const auto& t : tensors) {
    t.copy_(buffer[0].narrow(0, offset, t.numel()).view_as(t));
    offset += t.numel();
  }
}

double DataParallel::all_reduce_sum(double value) {
  auto t = torch::full({1}, value, torch::kFloat64);
  all_reduce_sum(std::vector<torch::Tensor>{t});
  return t.item<double>();
}

}  // namespace chosei
