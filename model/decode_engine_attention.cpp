// The decode engine's attention: each input's keys and values into its own cache row,
// then softmax attention over that row (query blocks for prompt runs, a key at a time for
// decoding steps), over the window only in sliding-window layers.

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "model/block_attention.h"
#include "model/decode_engine.h"
#include "model/matrix_kernels.h"

namespace chosei {

namespace {

template <typename Fn>
void each_input(std::int64_t n, const Fn& fn) {
  at::parallel_for(0, n, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) fn(i);
  });
}

}  // namespace

namespace {

// A prompt's run of consecutive positions on one row attends in blocks of this many
// queries (two GEMMs per block and head); shorter runs (decode steps) one key at a time.
constexpr std::int64_t kBlockRun = 16, kQueryBlock = 64;

struct InputSpan {
  std::int64_t first, count;
};

// Splits the inputs into query blocks (from runs of at least kBlockRun consecutive
// positions on one row) and the single inputs left over.
// Under a sliding window, a run reaching past the window's first span goes key by key.
void split_runs(const std::vector<DecodeInput>& inputs, std::int64_t window,
                std::vector<InputSpan>& blocks, std::vector<std::int64_t>& singles) {
  const auto N = static_cast<std::int64_t>(inputs.size());
  for (std::int64_t i = 0; i < N;) {
    std::int64_t j = i + 1;
    while (j < N && inputs[j].row == inputs[i].row &&
           inputs[j].position == inputs[j - 1].position + 1)
      ++j;
    if (j - i >= kBlockRun && (window == 0 || inputs[j - 1].position < window)) {
      for (std::int64_t b = i; b < j; b += kQueryBlock)
        blocks.push_back({b, std::min(kQueryBlock, j - b)});
    } else {
      for (std::int64_t k = i; k < j; ++k) singles.push_back(k);
    }
    i = j;
  }
}

// Zigzag from both ends of [0, n): later positions attend to more keys, and each thread's
// contiguous share of a parallel range then holds short and long ones alike.
std::int64_t zigzag(std::int64_t k, std::int64_t n) { return k % 2 == 0 ? k / 2 : n - 1 - k / 2; }

// Cache entries: fp32 floats, or fp16 bits.
float dot(const float* q, const float* k, std::int64_t n) { return dot_f32(q, k, n); }
float dot(const float* q, const std::uint16_t* k, std::int64_t n) { return dot_f32_f16(q, k, n); }
void axpy(float a, const float* v, float* o, std::int64_t n) { axpy_f32(a, v, o, n); }
void axpy(float a, const std::uint16_t* v, float* o, std::int64_t n) { axpy_f16(a, v, o, n); }

// Softmax attention of one query over keys and values [0, L) of its row, a key at a time.
template <typename Entry>
void attend_one(const float* q, const Entry* K, const Entry* V, std::int64_t L, std::int64_t HD,
                float scale, float* o) {
  thread_local std::vector<float> scores;
  scores.resize(static_cast<std::size_t>(L));
  float top = -std::numeric_limits<float>::infinity();
  for (std::int64_t t = 0; t < L; ++t) {
    scores[t] = dot(q, K + t * HD, HD) * scale;
    top = std::max(top, scores[t]);
  }
  float sum = 0;
  for (std::int64_t t = 0; t < L; ++t) sum += (scores[t] = std::exp(scores[t] - top));
  std::fill(o, o + HD, 0.0f);
  for (std::int64_t t = 0; t < L; ++t) axpy(scores[t] / sum, V + t * HD, o, HD);
}

// A query block against its row's first L keys and values, widened to fp32 for the GEMMs
// when the cache holds fp16.
void attend_block_of(const QueryBlock& block, const float* K, const float* V, std::int64_t,
                     std::int64_t HD, float scale, float* out, std::int64_t ldo) {
  attend_block(block, K, V, HD, scale, out, ldo);
}
void attend_block_of(const QueryBlock& block, const std::uint16_t* K, const std::uint16_t* V,
                     std::int64_t L, std::int64_t HD, float scale, float* out, std::int64_t ldo) {
  thread_local std::vector<float> keys, values;
  keys.resize(static_cast<std::size_t>(L * HD));
  values.resize(keys.size());
  fp16_to_fp32_n(K, L * HD, keys.data());
  fp16_to_fp32_n(V, L * HD, values.data());
  attend_block(block, keys.data(), values.data(), HD, scale, out, ldo);
}

}  // namespace

// Softmax(q K^T * scale) V over columns [0, position] of the input's row (the last
// `window` of them in a sliding-window layer), per head; heads sharing a KV head are
// adjacent (HF repeat_kv).
void DecodeEngine::attention(const std::vector<DecodeInput>& inputs, KvCache& cache,
                             std::int64_t layer, const float* qkv, float* out) {
  const std::int64_t window = layers_[static_cast<std::size_t>(layer)].window;
  if (cache.dtype() == torch::kHalf)
    return attention_over(inputs, cache, static_cast<const std::uint16_t*>(cache.key_data(layer)),
                          static_cast<const std::uint16_t*>(cache.value_data(layer)), window, qkv,
                          out);
  attention_over(inputs, cache, static_cast<const float*>(cache.key_data(layer)),
                 static_cast<const float*>(cache.value_data(layer)), window, qkv, out);
}

template <typename Entry>
void DecodeEngine::attention_over(const std::vector<DecodeInput>& inputs, const KvCache& cache,
                                  const Entry* keys, const Entry* values, std::int64_t window,
                                  const float* qkv, float* out) const {
  const auto width = (NH_ + 2 * NKV_) * HD_, G = NH_ / NKV_, cap = cache.capacity();
  const auto scale = static_cast<float>(scale_);
  thread_local std::vector<InputSpan> blocks;
  thread_local std::vector<std::int64_t> singles;
  blocks.clear();
  singles.clear();
  split_runs(inputs, window, blocks, singles);
  auto row_of = [&](const DecodeInput& in, std::int64_t head) {
    return (in.row * NKV_ + head / G) * cap * HD_;
  };
  const auto block_tasks = static_cast<std::int64_t>(blocks.size()) * NH_;
  at::parallel_for(0, block_tasks, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t k = begin; k < end; ++k) {
      const auto task = zigzag(k, block_tasks), head = task % NH_;
      const auto& span = blocks[static_cast<std::size_t>(task / NH_)];
      const auto& in = inputs[static_cast<std::size_t>(span.first)];
      const QueryBlock block{qkv + span.first * width + head * HD_, width, span.count, in.position};
      attend_block_of(block, keys + row_of(in, head), values + row_of(in, head),
                      in.position + span.count, HD_, scale, out + (span.first * NH_ + head) * HD_,
                      NH_ * HD_);
    }
  });
  const auto pairs = static_cast<std::int64_t>(singles.size()) * NH_;
  std::int64_t work = 0;
  for (auto i : singles) work += (inputs[static_cast<std::size_t>(i)].position + 1) * NH_ * HD_;
  const std::int64_t grain = work < (1 << 15) ? std::max<std::int64_t>(pairs, 1) : 1;
  at::parallel_for(0, pairs, grain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t k = begin; k < end; ++k) {
      const std::int64_t pair = zigzag(k, pairs);
      const auto i = singles[static_cast<std::size_t>(pair / NH_)];
      const auto& in = inputs[static_cast<std::size_t>(i)];
      const auto head = pair % NH_;
      const auto first = window > 0 ? std::max<std::int64_t>(0, in.position + 1 - window) : 0;
      attend_one(qkv + i * width + head * HD_, keys + row_of(in, head) + first * HD_,
                 values + row_of(in, head) + first * HD_, in.position + 1 - first, HD_, scale,
                 out + (i * NH_ + head) * HD_);
    }
  });
}

// Each input's k and v heads (after rotary) into its row's column `position`.
void DecodeEngine::store_keys_and_values(const std::vector<DecodeInput>& inputs, KvCache& cache,
                                         std::int64_t layer) {
  const auto width = (NH_ + 2 * NKV_) * HD_, cap = cache.capacity();
  const bool half = cache.dtype() == torch::kHalf;
  auto* keys = static_cast<char*>(cache.key_data(layer));
  auto* values = static_cast<char*>(cache.value_data(layer));
  const std::int64_t entry = half ? 2 : 4;
  each_input(static_cast<std::int64_t>(inputs.size()), [&](std::int64_t i) {
    const auto& in = inputs[static_cast<std::size_t>(i)];
    for (std::int64_t g = 0; g < NKV_; ++g) {
      const auto at = ((in.row * NKV_ + g) * cap + in.position) * HD_ * entry;
      const float* k = &qkv_[i * width + (NH_ + g) * HD_];
      const float* v = &qkv_[i * width + (NH_ + NKV_ + g) * HD_];
      if (half) {
        fp32_to_fp16_n(k, HD_, reinterpret_cast<std::uint16_t*>(keys + at));
        fp32_to_fp16_n(v, HD_, reinterpret_cast<std::uint16_t*>(values + at));
      } else {
        std::copy(k, k + HD_, reinterpret_cast<float*>(keys + at));
        std::copy(v, v + HD_, reinterpret_cast<float*>(values + at));
      }
    }
  });
}

}  // namespace chosei
