// chosei_bench: the measurements bench/run compares with peers.
//   chosei_bench encode TOKENIZER FILE            -> "encode_mb_per_s <x> tokens <n>"
//   chosei_bench train FILE VOCAB                  -> "train_seconds <x> merges <n>"
//   chosei_bench generate MODEL_DIR TOKENS fp32|bf16|bf16-only|q8_0 THREADS [PROMPT [f32|f16]] ->
//   "tokens_per_s <x> weight_mb <m> rss_mb <r>" chosei_bench prefill MODEL_DIR P THREADS
//   [fp32|bf16|q8_0] -> "prompt_tokens_per_s <x> ..." chosei_bench bandwidth THREADS -> "gb_per_s
//   <x>" (memory read) chosei_bench filter FILE / stream FILE        -> see bench/filter_bench.h
//   chosei_bench rloo MODEL_DIR T N P K STEPS THREADS -> "samples_per_s <x> ..."

#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "align/online_rl_task.h"
#include "align/preference_optimization_task.h"
#include "base/allocator_tuning.h"
#include "base/atomic_file.h"
#include "bench/decode_options_bench.h"
#include "bench/filter_bench.h"
#include "classifier/classifier_runtime.h"
#include "formats/model_dir.h"
#include "formats/score_model_dir.h"
#include "generate/batch_decoder.h"
#include "generate/generation.h"
#include "model/compute_device.h"
#include "model/compute_threads.h"
#include "model/matvec.h"
#include "model/weight_matrix.h"
#include "reward/bradley_terry_loss.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/chat_messages.h"
#include "tokenizer/tokenizer_loader.h"
#include "train/causal_lm_loss.h"

using namespace chosei;
using Clock = std::chrono::steady_clock;

static double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

static int bench_encode(const std::string& tokenizer, const std::string& file) {
  auto tok = load_tokenizer(tokenizer);
  std::string text = read_file(file);
  // Encode line by line, as a data pipeline does; the split keeps BPE words bounded.
  std::size_t tokens = 0, start = 0;
  auto t0 = Clock::now();
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    tokens += tok.tokenizer->encode_plain(text.substr(start, end - start + 1)).size();
    start = end + 1;
  }
  double s = seconds_since(t0);
  std::cout << "encode_mb_per_s " << text.size() / 1e6 / s << " tokens " << tokens << "\n";
  return 0;
}

static int bench_train(const std::string& file, std::int64_t vocab) {
  BpeTrainerOptions opt;
  opt.vocab_size = vocab;
  opt.min_frequency = 1;
  auto t0 = Clock::now();
  auto trained = train_byte_level_bpe({file}, opt);
  std::cout << "train_seconds " << seconds_since(t0) << " merges " << trained.merges << "\n";
  return 0;
}

// Resident set size of this process in MB (VmRSS).
static double rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

// Timed repetitions of a short measurement (CHOSEI_BENCH_REPS, 3 unless set; a profiler
// wants more).
static int bench_reps() {
  const char* reps = std::getenv("CHOSEI_BENCH_REPS");
  return reps ? std::max(1, std::atoi(reps)) : 3;
}

// Greedy decoding speed through the server's path (BatchDecoder, one row): after a prompt of
// PROMPT ids (3 + (k * 7919) mod (V - 3), as bench/llama_cpp_decode.mjs feeds llama.cpp; the
// BOS alone when 0), the time from the first generated token to the TOKENS-th.
// WEIGHTS: fp32 (the parameters), bf16 (LibTorch's bf16 precision and the engine's bf16
// copy, as `--precision bf16`), or bf16-only / q8_0 (`--weights`: the packed copy alone).
static int bench_generate(const std::string& dir, std::int64_t tokens, const std::string& weights,
                          int threads, std::int64_t prompt_length, const std::string& kv_cache,
                          const std::string& device) {
  set_compute_threads(threads);
  const auto on = parse_compute_device(device);
  auto m = load_model_dir(dir);
  m.model->set_kv_cache_type(parse_kv_cache_type(kv_cache));
  if (weights == "bf16") m.model->set_precision(Precision::kBF16);
  if (weights == "bf16-only") m.model->decode_with(WeightType::kBF16);
  if (weights == "q8_0") m.model->decode_with(WeightType::kQ8_0);
  m.model->to(on);  // off the CPU: LibTorch's kernels, the cache on the device
  const auto V = m.model->config().vocab_size;
  std::vector<TokenId> prompt;
  for (std::int64_t k = 0; k < prompt_length; ++k)
    prompt.push_back(static_cast<TokenId>(3 + (k * 7919) % (V - 3)));
  if (prompt.empty())
    prompt.push_back(m.tokenizer.tokenizer->bos_id() >= 0 ? m.tokenizer.tokenizer->bos_id() : 0);
  auto run = [&](std::int64_t n) {
    BatchDecoder batch(m.model, 1, static_cast<std::int64_t>(prompt.size()) + n + 1);
    TokenId next = batch.add(prompt).argmax().item<std::int64_t>();
    auto t0 = Clock::now();
    for (std::int64_t i = 1; i < n; ++i) next = batch.step({next})[0].argmax().item<std::int64_t>();
    return (n - 1) / seconds_since(t0);
  };
  run(8);
  // The best of a few runs (as llama_cpp_decode.mjs takes): single runs swing 15-35% here.
  double tokens_per_s = 0;
  for (int rep = 0; rep < bench_reps(); ++rep) tokens_per_s = std::max(tokens_per_s, run(tokens));
  std::cout << "tokens_per_s " << tokens_per_s;
  if (m.model->decodes_on_engine())
    std::cout << " weight_mb " << m.model->decode_engine().weight_bytes() / 1e6;
  std::cout << " rss_mb " << rss_mb() << "\n";
  return 0;
}

// Time to first token for a P-token prompt (ids 3 + (k * 7919) mod (V - 3), as
// bench/llama_cpp_prefill.mjs feeds llama.cpp): the prefill into the KV cache and the first
// greedy token, after one warm-up run, the best of bench_reps().
static int bench_prefill(const std::string& dir, std::int64_t P, int threads,
                         const std::string& weights) {
  set_compute_threads(threads);
  auto m = load_model_dir(dir);
  if (weights == "q8_0") m.model->decode_with(WeightType::kQ8_0);
  if (weights == "bf16") m.model->decode_with(WeightType::kBF16);
  const auto V = m.model->config().vocab_size;
  std::vector<TokenId> prompt;
  for (std::int64_t k = 0; k < P; ++k)
    prompt.push_back(static_cast<TokenId>(3 + (k * 7919) % (V - 3)));
  // The server's path: the prompt joins a batch (one decode-engine pass), then its first token.
  auto serve_once = [&] {
    BatchDecoder batch(m.model, 1, P + 1);
    return batch.add(prompt).argmax().item<std::int64_t>();
  };
  serve_once();
  // The best of a few runs: one run of a few hundred ms swings 15% on a shared VM.
  double s = 1e30;
  for (int rep = 0; rep < bench_reps(); ++rep) {
    const auto t0 = Clock::now();
    serve_once();
    s = std::min(s, seconds_since(t0));
  }
  // generate()'s path: LibTorch's forward over the prompt (f32 weights only).
  double torch_s = 0;
  if (!m.model->decode_only()) {
    GenerateOptions opt;
    opt.max_new_tokens = 1;
    opt.sampling.temperature = 0;
    generate(m.model, *m.tokenizer.tokenizer, prompt, opt);
    const auto t0 = Clock::now();
    generate(m.model, *m.tokenizer.tokenizer, prompt, opt);
    torch_s = seconds_since(t0);
  }
  // The default (fp32) cache's bytes per token; --kv-cache f16 and llama.cpp's default
  // cache hold half of it.
  const auto kv_bytes = KvCache(m.model->config(), 1, 1).bytes_per_token();
  std::cout << "prompt_tokens_per_s " << P / s << " ttft_ms " << 1000 * s
            << " torch_prompt_tokens_per_s " << (torch_s > 0 ? P / torch_s : 0)
            << " kv_bytes_per_token " << kv_bytes << "\n";
  return 0;
}

// One decode product alone: a ROWS x COLS matrix of TYPE times one input, GB/s of weights.
static int bench_matvec(std::int64_t rows, std::int64_t cols, const std::string& type, int threads,
                        std::int64_t inputs) {
  set_compute_threads(threads);
  auto w = torch::randn({rows, cols});
  WeightMatrix m({{w.data_ptr<float>(), rows}}, cols, parse_weight_type(type));
  std::vector<float> x(static_cast<std::size_t>(inputs * cols), 0.5f),
      y(static_cast<std::size_t>(inputs * rows));
  m.multiply(x.data(), inputs, y.data());
  const int reps = 7 * bench_reps();
  auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) m.multiply(x.data(), inputs, y.data());
  const double s = seconds_since(t0) / reps;
  std::cout << "gb_per_s " << m.bytes() / s / 1e9 << " gflops "
            << 2.0 * rows * cols * inputs / s / 1e9 << "\n";
  return 0;
}

// Memory read bandwidth: the best of 5 sums over 256 MB of floats.
static int bench_bandwidth(int threads) {
  set_compute_threads(threads);
  auto t = torch::ones({std::int64_t{64} << 20});
  double best = 0;
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    volatile float sum = t.sum().item<float>();
    (void)sum;
    best = std::max(best, t.numel() * 4.0 / seconds_since(t0) / 1e9);
  }
  std::cout << "gb_per_s " << best << "\n";
  return 0;
}

// Full fine-tuning steps on random tokens: forward, loss, backward, AdamW.
static int bench_sft(const std::string& dir, std::int64_t T, std::int64_t B, std::int64_t steps,
                     const std::string& precision, int threads, const std::string& device) {
  set_compute_threads(threads);
  const auto on = parse_compute_device(device);
  auto m = load_model_dir(dir, false);
  m.model->set_precision(parse_precision(precision));
  m.model->to(on);
  m.model->train();
  torch::manual_seed(0);
  auto ids = torch::randint(0, m.model->config().vocab_size, {B, T + 1}, torch::kLong).to(on);
  auto input = ids.narrow(1, 0, T), targets = ids.narrow(1, 1, T);
  torch::optim::AdamW opt(m.model->parameters(), torch::optim::AdamWOptions(1e-4));
  auto step = [&] {
    opt.zero_grad();
    auto loss = causal_lm_loss(m.model->forward(input), targets);
    (loss.sum / double(loss.count)).backward();
    opt.step();
  };
  step();
  auto t0 = Clock::now();
  for (std::int64_t i = 0; i < steps; ++i) step();
  m.model->parameters().front().sum().item<float>();  // waits for a GPU's queued work
  const double s = seconds_since(t0);
  std::cout << "tokens_per_s " << double(B * T * steps) / s << "\n";
  return 0;
}

// Reward-model steps on random pairs (both sides of every pair in one forward, T tokens
// each): score at the last token, Bradley-Terry loss, backward, AdamW. Pairs per second.
static int bench_reward(const std::string& dir, std::int64_t T, std::int64_t pairs,
                        std::int64_t steps, const std::string& precision, int threads) {
  set_compute_threads(threads);
  auto rm = score_model_from_causal_lm(load_model_dir(dir, false), 1, 0);
  rm.model->set_precision(parse_precision(precision));
  rm.model->train();
  torch::manual_seed(0);
  auto ids = torch::randint(0, rm.model->config().vocab_size, {2 * pairs, T}, torch::kLong);
  auto rows = torch::arange(2 * pairs, torch::kLong),
       cols = torch::full({2 * pairs}, T - 1, torch::kLong);
  torch::optim::AdamW opt(rm.model->parameters(), torch::optim::AdamWOptions(1e-4));
  auto step = [&] {
    opt.zero_grad();
    auto r = rm.model->score_at(rm.model->hidden_states(ids), rows, cols).select(1, 0);
    auto l = bradley_terry_loss(r.slice(0, 0, pairs), r.slice(0, pairs), torch::zeros({pairs}), 0);
    (l.sum / double(pairs)).backward();
    opt.step();
  };
  step();
  auto t0 = Clock::now();
  for (std::int64_t i = 0; i < steps; ++i) step();
  std::cout << "pairs_per_s " << double(pairs * steps) / seconds_since(t0) << "\n";
  return 0;
}

// DPO steps on random pairs of T-token sequences (the second half the answer), the
// reference's log-probs precomputed as the recipe does: the task's packed forward, fp32
// log-softmax, DPO loss, backward, AdamW. Pairs per second.
static int bench_dpo(const std::string& dir, std::int64_t T, std::int64_t pairs, std::int64_t steps,
                     const std::string& precision, int threads) {
  set_compute_threads(threads);
  auto m = load_model_dir(dir, false);
  m.model->set_precision(parse_precision(precision));
  std::mt19937_64 rng(0);
  ScoredPairs data;
  const auto vocab = static_cast<std::uint64_t>(m.model->config().vocab_size);
  for (std::int64_t i = 0; i < pairs; ++i) {
    PreferenceExample e;
    for (auto* s : {&e.chosen, &e.rejected}) {
      for (std::int64_t t = 0; t < T; ++t) s->ids.push_back(static_cast<TokenId>(rng() % vocab));
      s->prompt_tokens = static_cast<std::size_t>(T / 2);
    }
    data.pairs.push_back(e);
    data.reference.chosen.push_back(-50.0), data.reference.rejected.push_back(-50.0);
  }
  PreferenceBatching batching;
  batching.pairs_per_batch = pairs;
  batching.max_seq_len = T;
  batching.packing = false;  // one sequence a row, as the peer's batch
  PreferenceOptimizationTask task(m.model, data, {}, PreferenceObjective{}, batching);
  task.set_training(true);
  const auto batches = task.train_batches(0, 0);
  torch::optim::AdamW opt(m.model->parameters(), torch::optim::AdamWOptions(1e-4));
  auto step = [&] {
    opt.zero_grad();
    (task.loss(*batches[0]).sum / double(pairs)).backward();
    opt.step();
  };
  step();
  auto t0 = Clock::now();
  for (std::int64_t i = 0; i < steps; ++i) step();
  std::cout << "pairs_per_s " << double(pairs * steps) / seconds_since(t0) << "\n";
  return 0;
}

// RLOO steps as `chosei align --set method=rloo` takes them: P text prompts of about T
// tokens (random ids decoded), k completions each sampled at temperature 1 through the
// batched generation loop (up to N tokens), the default output filters as the reward, the
// old policy's and the reference's log-probs, k1 KL in the reward, leave-one-out baseline,
// backward, AdamW. Completions per second.
static int bench_rloo(const std::string& dir, std::int64_t T, std::int64_t N, std::int64_t P,
                      std::int64_t K, std::int64_t steps, int threads) {
  set_compute_threads(threads);
  auto m = load_model_dir(dir);
  auto ref = load_model_dir(dir);
  ref.model->eval();
  const auto& tok = *m.tokenizer.tokenizer;
  std::mt19937_64 rng(0);
  std::vector<PromptRecord> prompts;
  const auto vocab = static_cast<std::uint64_t>(tok.vocab_size());
  double prompt_tokens = 0;
  for (std::int64_t i = 0; i < P * (steps + 1); ++i) {
    std::vector<TokenId> ids;
    while (static_cast<std::int64_t>(ids.size()) < T) {
      const auto id = static_cast<TokenId>(rng() % vocab);
      if (!tok.is_special(id)) ids.push_back(id);
    }
    PromptRecord p;
    p.id = std::to_string(i);
    p.turns = {{"user", tok.decode(ids), std::nullopt}};
    p.text_prompt = true;
    prompt_tokens += double(tok.encode(p.turns[0].content).size());
    prompts.push_back(std::move(p));
  }
  OnlineSettings s;
  s.method = OnlineMethod::kRloo;
  s.num_generations = K;
  s.completions_per_batch = s.completions_per_step = P * K;
  s.sampling.max_new_tokens = N;
  s.sampling.max_batch = P * K;
  s.packing = false;
  s.max_seq_len = T + N;
  s.pad_id = std::max<TokenId>(0, tok.eos_id());
  OnlineReference reference;
  reference.model = ref.model;
  RewardTerms terms;
  terms.max_new_tokens = N;
  AnsweringModel policy{m.model, &tok, choose_chat_template(m.tokenizer.config), m.eos_ids(), dir};
  OnlineRlTask task(policy, reference, prompts, {}, std::make_shared<CompletionRewards>(terms), s);
  torch::optim::AdamW opt(m.model->parameters(), torch::optim::AdamWOptions(1e-5));
  const auto batches = task.train_batches(0, 0);
  StepContext context{1, 0, [](const std::vector<torch::Tensor>&) {}};
  double completion_tokens = 0;
  auto step = [&](std::size_t i) {
    auto rolled = task.roll_out({batches[i]}, context);
    task.set_training(true);
    opt.zero_grad();
    for (const auto& b : rolled.mine) {
      (task.loss(*b).sum / double(rolled.count)).backward();
      completion_tokens += double(b->tokens);
    }
    opt.step();
  };
  step(0);
  completion_tokens = 0;
  auto t0 = Clock::now();
  for (std::int64_t i = 1; i <= steps; ++i) step(static_cast<std::size_t>(i));
  std::cout << "samples_per_s " << double(P * K * steps) / seconds_since(t0) << " prompt_tokens "
            << prompt_tokens / double(prompts.size()) << " sequence_tokens "
            << completion_tokens / double(P * K * steps) << "\n";
  return 0;
}

// Measured peak of a large matmul in `dtype`, GFLOP/s.
static int bench_peak(const std::string& precision, int threads) {
  set_compute_threads(threads);
  const auto dtype = precision == "bf16" ? torch::kBFloat16 : torch::kFloat32;
  auto a = torch::randn({2048, 2048}).to(dtype), b = torch::randn({2048, 2048}).to(dtype);
  torch::mm(a, b);
  auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i) torch::mm(a, b);
  std::cout << "gflops " << 5 * 2.0 * 2048 * 2048 * 2048 / seconds_since(t0) / 1e9 << "\n";
  return 0;
}

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();
  install_classifier_runtime();  // `filter FILE all` runs the safety classifier
  try {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "encode" && argc == 4) return bench_encode(argv[2], argv[3]);
    if (cmd == "train" && argc == 4) return bench_train(argv[2], std::stoll(argv[3]));
    if (cmd == "sft" && (argc == 8 || argc == 9))
      return bench_sft(argv[2], std::stoll(argv[3]), std::stoll(argv[4]), std::stoll(argv[5]),
                       argv[6], std::stoi(argv[7]), argc == 9 ? argv[8] : "cpu");
    if (cmd == "reward" && argc == 8)
      return bench_reward(argv[2], std::stoll(argv[3]), std::stoll(argv[4]), std::stoll(argv[5]),
                          argv[6], std::stoi(argv[7]));
    if (cmd == "dpo" && argc == 8)
      return bench_dpo(argv[2], std::stoll(argv[3]), std::stoll(argv[4]), std::stoll(argv[5]),
                       argv[6], std::stoi(argv[7]));
    if (cmd == "rloo" && argc == 9)
      return bench_rloo(argv[2], std::stoll(argv[3]), std::stoll(argv[4]), std::stoll(argv[5]),
                        std::stoll(argv[6]), std::stoll(argv[7]), std::stoi(argv[8]));
    if (cmd == "peak" && argc == 4) return bench_peak(argv[2], std::stoi(argv[3]));
    if (cmd == "filter" && (argc == 3 || argc == 4))
      return bench_filter_check(argv[2], argc == 4 && std::string(argv[3]) == "all");
    if (cmd == "stream" && argc == 3) return bench_filter_stream(argv[2]);
    if (cmd == "prefill" && (argc == 5 || argc == 6))
      return bench_prefill(argv[2], std::stoll(argv[3]), std::stoi(argv[4]),
                           argc == 6 ? argv[5] : "fp32");
    if (cmd == "matvec" && argc == 7)
      return bench_matvec(std::stoll(argv[2]), std::stoll(argv[3]), argv[4], std::stoi(argv[5]),
                          std::stoll(argv[6]));
    if (cmd == "bandwidth" && argc == 3) return bench_bandwidth(std::stoi(argv[2]));
    if (cmd == "decode-options" && argc == 5)
      return bench_decode_options(argv[2], std::stoll(argv[3]), std::stoi(argv[4]));
    if (cmd == "generate" && argc >= 6 && argc <= 9)
      return bench_generate(argv[2], std::stoll(argv[3]), argv[4], std::stoi(argv[5]),
                            argc >= 7 ? std::stoll(argv[6]) : 0, argc >= 8 ? argv[7] : "f32",
                            argc == 9 ? argv[8] : "cpu");
    std::cerr << "usage: chosei_bench encode TOKENIZER FILE | train FILE VOCAB | generate DIR "
                 "TOKENS PRECISION THREADS | decode-options DIR TOKENS THREADS | ...\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "chosei_bench: " << e.what() << "\n";
    return 1;
  }
}
