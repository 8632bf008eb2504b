#pragma once
// What decoding options cost, measured through the server's path (GenerationLoop, one
// request at a time): plain sampling, log-probabilities with 5 alternatives, and JSON by
// constrained decoding (any object; with random weights nearly every token needs the mask
// over the whole vocabulary, the worst case).

#include <cstdint>
#include <string>

namespace chosei {

// Prints "plain_tokens_per_s A logprobs_tokens_per_s B json_tokens_per_s C json_mask_ms D
// json_masked_steps E" (D: milliseconds per full-vocabulary mask; E: the share of steps whose
// free draw was refused and needed one).
int bench_decode_options(const std::string& model_dir, std::int64_t tokens, int threads);

}  // namespace chosei
