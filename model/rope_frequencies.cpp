// transformers' ROPE_INIT_FUNCTIONS (default, linear, llama3, yarn, dynamic, longrope), written
// with the same LibTorch operations in the same order, so that every table entry has the same bits.

#include "model/rope_frequencies.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace chosei {

namespace {

torch::Tensor default_inv_freq(double theta, std::int64_t dim) {
  auto exponents = torch::arange(0, dim, 2, torch::kLong).to(torch::kFloat32).div(dim);
  return 1.0 / torch::pow(theta, exponents);
}

// Llama 3.1: wavelengths beyond original/low_freq_factor are divided by the factor, those
// below original/high_freq_factor kept, the band between interpolated smoothly.
torch::Tensor llama3_inv_freq(const RopeParameters& r, const torch::Tensor& inv_freq) {
  const double old_context = static_cast<double>(r.original_max_position_embeddings);
  const double low_freq_wavelen = old_context / r.low_freq_factor;
  const double high_freq_wavelen = old_context / r.high_freq_factor;
  auto wavelen = (2 * M_PI) / inv_freq;
  auto scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / r.factor, inv_freq);
  auto smooth =
      (old_context / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
  auto smoothed = (1 - smooth) * scaled / r.factor + smooth * scaled;
  auto medium =
      (wavelen < high_freq_wavelen).logical_not() * (wavelen > low_freq_wavelen).logical_not();
  return torch::where(medium, smoothed, scaled);
}

double yarn_mscale(double scale, double mscale) {
  return scale <= 1 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

double yarn_correction_dim(double rotations, std::int64_t dim, double base, double max_positions) {
  return (static_cast<double>(dim) * std::log(max_positions / (rotations * 2 * M_PI))) /
         (2 * std::log(base));
}

RopeFrequencies yarn(const RopeParameters& r, std::int64_t dim) {
  RopeFrequencies out;
  if (r.attention_factor > 0)
    out.attention_factor = r.attention_factor;
  else if (r.mscale > 0 && r.mscale_all_dim > 0)
    out.attention_factor =
        yarn_mscale(r.factor, r.mscale) / yarn_mscale(r.factor, r.mscale_all_dim);
  else
    out.attention_factor = yarn_mscale(r.factor, 1.0);
  auto pos_freqs = torch::pow(r.theta, torch::arange(0, dim, 2).to(torch::kFloat32) / dim);
  auto extrapolation = 1.0 / pos_freqs;
  auto interpolation = 1.0 / (r.factor * pos_freqs);
  const double original = static_cast<double>(r.original_max_position_embeddings);
  double low = yarn_correction_dim(r.beta_fast, dim, r.theta, original);
  double high = yarn_correction_dim(r.beta_slow, dim, r.theta, original);
  if (r.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;  // transformers' guard against a zero-width ramp
  auto ramp = torch::clamp((torch::arange(dim / 2, torch::kFloat32) - low) / (high - low), 0, 1);
  auto extrapolation_factor = 1 - ramp;
  out.inv_freq = interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor;
  return out;
}

// Dynamic NTK: at or below max_position_embeddings transformers computes the base in Python
// floats (it is theta again up to rounding); beyond, from the position tensor, in fp32.
torch::Tensor dynamic_inv_freq(const RopeParameters& r, std::int64_t dim,
                               std::int64_t max_positions, std::int64_t sequence_length) {
  const double exponent = static_cast<double>(dim) / static_cast<double>(dim - 2);
  auto exponents = torch::arange(0, dim, 2, torch::kLong).to(torch::kFloat32) / dim;
  if (sequence_length <= max_positions) {
    const double base = r.theta * std::pow((r.factor * static_cast<double>(max_positions) /
                                            static_cast<double>(max_positions)) -
                                               (r.factor - 1),
                                           exponent);
    return 1.0 / torch::pow(base, exponents);
  }
  auto length = torch::tensor(sequence_length, torch::kLong);
  auto base = r.theta * ((r.factor * length / max_positions) - (r.factor - 1)).pow(exponent);
  return 1.0 / torch::pow(base, exponents);
}

// LongRoPE: 1 / (ext * theta^(2i/d)), ext the long factors beyond the original context.
torch::Tensor longrope_inv_freq(const RopeParameters& r, std::int64_t dim,
                                std::int64_t sequence_length) {
  const auto& factors =
      sequence_length > r.original_max_position_embeddings ? r.long_factor : r.short_factor;
  if (static_cast<std::int64_t>(factors.size()) != dim / 2)
    throw std::invalid_argument("longrope: " + std::to_string(factors.size()) +
                                " rescale factors for " + std::to_string(dim / 2) +
                                " rotary frequencies");
  auto ext = torch::tensor(std::vector<double>(factors), torch::kFloat64).to(torch::kFloat32);
  auto shape = torch::arange(0, dim, 2, torch::kLong).to(torch::kFloat32) / dim;
  return 1.0 / (ext * torch::pow(r.theta, shape));
}

}  // namespace

RopeFrequencies rope_frequencies(const RopeParameters& r, std::int64_t head_dim,
                                 std::int64_t max_position_embeddings,
                                 std::int64_t sequence_length) {
  torch::NoGradGuard no_grad;
  const auto dim = r.rotary_dim(head_dim);
  if (r.type == "yarn") return yarn(r, dim);
  if (r.type == "dynamic")
    return {dynamic_inv_freq(r, dim, max_position_embeddings, sequence_length), 1.0};
  if (r.type == "longrope") return {longrope_inv_freq(r, dim, sequence_length), r.attention_factor};
  RopeFrequencies out;
  out.inv_freq = default_inv_freq(r.theta, dim);
  if (r.type == "linear") out.inv_freq = out.inv_freq / r.factor;
  if (r.type == "llama3") out.inv_freq = llama3_inv_freq(r, out.inv_freq);
  return out;
}

}  // namespace chosei
