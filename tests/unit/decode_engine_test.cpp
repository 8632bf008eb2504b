// The decode engine against LibTorch's forward pass (the reference path): f32 decoding
// gives the same greedy tokens and logits within float rounding; a row's logits do not
// depend on its batch; joined prompts prefill as they would alone; bf16 and q8_0 products
// match scalar references written here from the formats' definitions, and whole models on
// those weights stay within the stated tolerances of the fp32 reference.

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "base/half_float.h"
#include "base/q8_0_blocks.h"
#include "formats/model_dir.h"
#include "generate/batch_decoder.h"
#include "generate/generation.h"
#include "model/block_attention.h"
#include "model/decode_engine.h"
#include "model/kv_cache.h"
#include "model/matrix_kernels.h"
#include "model/weight_matrix.h"
#include "tests/unit/test_data.h"

namespace chosei {
namespace {

// A random model with grouped-query attention and q/k/v biases (Qwen2's layout), so the
// engine's GQA, bias and untied-head paths are all exercised.
LlamaForCausalLM random_model(bool tied) {
  ModelConfig c;
  c.model_type = "qwen2";
  c.vocab_size = 320;
  c.hidden_size = 64;
  c.intermediate_size = 96;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.max_position_embeddings = 128;
  c.attention_bias = true;
  c.tie_word_embeddings = tied;
  c.rms_norm_eps = 1e-6;
  LlamaForCausalLM model(c);
  model->initialize(7);
  torch::NoGradGuard no_grad;
  for (auto& p : model->named_parameters())  // biases and norms away from 0 and 1
    if (p.key().find("bias") != std::string::npos || p.key().find("norm") != std::string::npos)
      p.value().add_(torch::randn(p.value().sizes()) * 0.1);
  model->invalidate_precision_cache();
  return model;
}

// Greedy continuation by full forward passes without a cache: LibTorch's path only.
std::vector<TokenId> reference_greedy(LlamaForCausalLM& model, std::vector<TokenId> ids,
                                      int steps) {
  torch::NoGradGuard no_grad;
  std::vector<TokenId> out;
  for (int s = 0; s < steps; ++s) {
    auto t = torch::tensor(std::vector<std::int64_t>(ids.begin(), ids.end())).unsqueeze(0);
    auto logits = model->forward(t);
    const TokenId next = logits[0][-1].argmax().item<std::int64_t>();
    out.push_back(next);
    ids.push_back(next);
  }
  return out;
}

// Engine greedy decoding from a prompt prefilled by the engine too (BatchDecoder).
std::vector<TokenId> engine_greedy(LlamaForCausalLM& model, const std::vector<TokenId>& prompt,
                                   int steps) {
  BatchDecoder batch(model, 1, static_cast<std::int64_t>(prompt.size()) + steps + 1);
  std::vector<TokenId> out{static_cast<TokenId>(batch.add(prompt).argmax().item<std::int64_t>())};
  while (static_cast<int>(out.size()) < steps)
    out.push_back(batch.step({out.back()})[0].argmax().item<std::int64_t>());
  return out;
}

TEST(DecodeEngine, F32GreedyDecodingEqualsTheLibTorchPathTokenForToken) {
  CHOSEI_REQUIRE_DATA(dir, "derived_hf_llama_stories260K");
  auto m = load_model_dir(dir);
  const std::vector<TokenId> prompt = {1, 403, 407, 261, 339};
  const auto expected = reference_greedy(m.model, prompt, 48);
  EXPECT_EQ(engine_greedy(m.model, prompt, 48), expected);
  // generate(): LibTorch prefill, then engine steps through the model's forward.
  GenerateOptions opt;
  opt.max_new_tokens = 48;
  opt.sampling.temperature = 0;
  EXPECT_EQ(generate(m.model, *m.tokenizer.tokenizer, prompt, opt).ids, expected);
  for (bool tied : {true, false}) {
    auto model = random_model(tied);
    EXPECT_EQ(engine_greedy(model, {3, 17, 250, 9}, 40),
              reference_greedy(model, {3, 17, 250, 9}, 40))
        << (tied ? "tied" : "untied");
  }
}

TEST(DecodeEngine, PrefillLogitsMatchTheLibTorchForwardAtEveryPosition) {
  auto model = random_model(false);
  const std::vector<TokenId> prompt = {5, 88, 301, 2, 2, 140, 77, 19, 256, 3, 64};
  torch::NoGradGuard no_grad;
  auto expected = model->forward(
      torch::tensor(std::vector<std::int64_t>(prompt.begin(), prompt.end())).unsqueeze(0))[0];
  BatchDecoder batch(model, 2, 32);
  torch::Tensor all;
  batch.add(prompt, &all);
  ASSERT_EQ(all.sizes(), expected.sizes());
  EXPECT_LT((all - expected).abs().max().item<float>(), 1e-5f);
}

TEST(BatchDecoder, LongPromptsJoiningTogetherArePrefilledAsTheyWouldBeAlone) {
  // 40 + 27 tokens: one packed LibTorch pass (block-diagonal mask, positions from 0 each).
  auto model = random_model(false);
  std::vector<TokenId> a, b;
  for (int i = 0; i < 40; ++i) a.push_back((i * 37 + 5) % 320);
  for (int i = 0; i < 27; ++i) b.push_back((i * 11 + 200) % 320);
  BatchDecoder batch(model, 3, 96);
  torch::Tensor all_a, all_b;
  auto last = batch.add({a, b}, {&all_a, &all_b});
  torch::NoGradGuard no_grad;
  for (auto [prompt, all] : {std::pair{&a, &all_a}, std::pair{&b, &all_b}}) {
    auto expected = model->forward(
        torch::tensor(std::vector<std::int64_t>(prompt->begin(), prompt->end())).unsqueeze(0))[0];
    EXPECT_LT((*all - expected).abs().max().item<float>(), 1e-5f);
  }
  // Decoding on from the copied keys and values gives each prompt's own continuation.
  std::vector<TokenId> next = {static_cast<TokenId>(last[0].argmax().item<std::int64_t>()),
                               static_cast<TokenId>(last[1].argmax().item<std::int64_t>())};
  std::vector<std::vector<TokenId>> got = {{next[0]}, {next[1]}};
  for (int s = 0; s < 15; ++s) {
    auto logits = batch.step(next);
    for (int r = 0; r < 2; ++r)
      got[r].push_back(next[r] = static_cast<TokenId>(logits[r].argmax().item<std::int64_t>()));
  }
  EXPECT_EQ(got[0], reference_greedy(model, a, 16));
  EXPECT_EQ(got[1], reference_greedy(model, b, 16));
}

TEST(DecodeEngine, ARowsLogitsDoNotDependOnItsBatch) {
  // Every weight type: a decode step of one row (the one-input kernels) and of four rows
  // (the blocked kernels) sum each (row, input) product in the same order.
  for (auto type : {WeightType::kF32, WeightType::kBF16, WeightType::kQ8_0}) {
    auto model = random_model(true);
    model->set_decode_weights(type);
    const std::vector<std::vector<TokenId>> prompts = {
        {1, 2, 3}, {40, 41}, {7, 8, 9, 10, 11, 12}, {300}};
    BatchDecoder alone(model, 1, 64), together(model, 4, 64);
    // Joined in one prefill pass, then stepped together: bitwise the logits of row 2 alone.
    auto joined = together.add(prompts);
    auto single = alone.add(prompts[2]);
    EXPECT_TRUE(torch::equal(joined[2], single)) << weight_type_name(type);
    std::vector<TokenId> next;
    for (const auto& l : joined) next.push_back(l.argmax().item<std::int64_t>());
    for (int s = 0; s < 12; ++s) {
      auto both = together.step(next);
      auto one = alone.step({next[2]});
      ASSERT_TRUE(torch::equal(both[2], one[0])) << weight_type_name(type) << " step " << s;
      for (std::int64_t r = 0; r < 4; ++r) next[r] = both[r].argmax().item<std::int64_t>();
    }
  }
}

TEST(DecodeEngine, ACacheRowThatIsFullIsAnErrorNamingItsCapacity) {
  auto model = random_model(true);
  BatchDecoder batch(model, 1, 6);
  TokenId next = static_cast<TokenId>(batch.add({1, 2, 3, 4}).argmax().item<std::int64_t>());
  next = static_cast<TokenId>(batch.step({next})[0].argmax().item<std::int64_t>());
  try {
    batch.step({next});
    batch.step({next});
    FAIL() << "expected the full row to be refused";
  } catch (const std::length_error& e) {
    EXPECT_NE(std::string(e.what()).find("6 positions"), std::string::npos) << e.what();
  }
}

// Reference products written from the formats' definitions, in double.
std::vector<double> bf16_reference(const std::vector<float>& w, const std::vector<float>& x,
                                   std::int64_t rows, std::int64_t cols) {
  std::vector<double> y(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      y[r] += double(bf16_to_fp32(fp32_to_bf16(w[r * cols + c]))) *
              double(bf16_to_fp32(fp32_to_bf16(x[c])));
  return y;
}

std::vector<double> f32_reference(const std::vector<float>& w, const std::vector<float>& x,
                                  std::int64_t rows, std::int64_t cols) {
  std::vector<double> y(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) y[r] += double(w[r * cols + c]) * double(x[c]);
  return y;
}

std::vector<double> q8_0_reference(const std::vector<float>& w, const std::vector<float>& x,
                                   std::int64_t rows, std::int64_t cols) {
  std::vector<float> wd(w.size()), xd(x.size());
  std::vector<std::uint16_t> s(w.size() / 32);
  std::vector<std::int8_t> q(w.size());
  quantize_q8_0(w.data(), static_cast<std::int64_t>(w.size()), s.data(), q.data());
  dequantize_q8_0(s.data(), q.data(), static_cast<std::int64_t>(w.size()), wd.data());
  quantize_q8_0(x.data(), cols, s.data(), q.data());  // the activations, as llama.cpp does
  dequantize_q8_0(s.data(), q.data(), cols, xd.data());
  std::vector<double> y(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) y[r] += double(wd[r * cols + c]) * double(xd[c]);
  return y;
}

TEST(WeightMatrix, Bf16AndQ8_0ProductsMatchScalarReferences) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const std::int64_t rows = 37, cols = 96;  // a partial block of rows and a bf16 tail
  std::vector<float> w(rows * cols), x(cols);
  for (auto& v : w) v = normal(rng);
  for (auto& v : x) v = normal(rng);
  for (auto type : {WeightType::kF32, WeightType::kBF16, WeightType::kQ8_0}) {
    WeightMatrix m({{w.data(), 20}, {w.data() + 20 * cols, rows - 20}}, cols, type);
    std::vector<float> y(rows);
    m.multiply(x.data(), 1, y.data());
    const auto ref = type == WeightType::kQ8_0   ? q8_0_reference(w, x, rows, cols)
                     : type == WeightType::kBF16 ? bf16_reference(w, x, rows, cols)
                                                 : f32_reference(w, x, rows, cols);
    // fp32 accumulation of 96 products of magnitude ~1: a few 1e-6 of the sum's scale.
    for (std::int64_t r = 0; r < rows; ++r)
      EXPECT_NEAR(y[r], ref[r], 2e-4) << weight_type_name(type) << " row " << r;
  }
  EXPECT_EQ(WeightMatrix({{w.data(), rows}}, cols, WeightType::kQ8_0).bytes(),
            rows * cols + rows * cols / 32 * 2);
}

// The model's weights replaced by their q8_0 values: the reference for q8_0 decoding,
// whose only other difference is the activations' 8-bit rounding.
void round_weights_to_q8_0(LlamaForCausalLM& model) {
  torch::NoGradGuard no_grad;
  for (auto& p : model->named_parameters()) {
    auto& t = p.value();
    if (t.dim() != 2 || t.size(1) % 32 != 0) continue;
    auto c = t.contiguous();
    std::vector<std::uint16_t> s(static_cast<std::size_t>(c.numel() / 32));
    std::vector<std::int8_t> q(static_cast<std::size_t>(c.numel()));
    quantize_q8_0(c.data_ptr<float>(), c.numel(), s.data(), q.data());
    dequantize_q8_0(s.data(), q.data(), c.numel(), c.data_ptr<float>());
    t.copy_(c);
  }
  model->invalidate_precision_cache();
}

TEST(DecodeEngine, Q8_0AndBf16ModelsStayWithinTheirToleranceOfTheReference) {
  CHOSEI_REQUIRE_DATA(dir, "derived_hf_llama_stories260K");
  // 8 tokens: the engine's own kernels; 48 on a model keeping only the packed weights:
  // LibTorch's bf16 GEMM on the stored (bf16) or widened (q8_0) weights, block attention.
  for (std::size_t length : {8, 48}) {
    std::vector<TokenId> prompt = {1, 403, 407, 261, 339, 370, 261, 416};
    while (prompt.size() < length)
      prompt.push_back(static_cast<TokenId>(3 + (prompt.size() * 71) % 500));
    auto ids = torch::tensor(std::vector<std::int64_t>(prompt.begin(), prompt.end())).unsqueeze(0);
    for (auto type : {WeightType::kBF16, WeightType::kQ8_0}) {
      auto m = load_model_dir(dir);
      if (type == WeightType::kQ8_0) round_weights_to_q8_0(m.model);
      torch::NoGradGuard no_grad;
      auto expected = m.model->forward(ids)[0];  // fp32 LibTorch
      m.model->set_decode_weights(type);
      if (length > 32) m.model->keep_only_decode_weights();
      BatchDecoder batch(m.model, 1, static_cast<std::int64_t>(length) + 8);
      torch::Tensor all;
      batch.add(prompt, &all);
      ASSERT_EQ(m.model->decode_engine().weight_type(), type);
      const float scale = expected.abs().max().item<float>();
      const float err = (all - expected).abs().max().item<float>();
      // Stated tolerances: bf16 rounds weights and inputs to 8 significant bits (2^-9
      // relative each); q8_0 rounds the inputs of each product to 8-bit blocks (or, in the
      // GEMM, its weights to bf16).
      EXPECT_LT(err, 0.03f * scale) << weight_type_name(type) << " " << length
                                    << " tokens: max |diff| " << err << " at logit scale " << scale;
      const auto agree = all.argmax(-1).eq(expected.argmax(-1)).sum().item<std::int64_t>();
      EXPECT_GE(agree,
                static_cast<std::int64_t>(length) - 1 - static_cast<std::int64_t>(length) / 16)
          << weight_type_name(type) << " " << length << " tokens";
    }
  }
}

TEST(DecodeEngine, LongPromptsOnTheEngineMatchTheLibTorchForwardAtEveryPosition) {
  // Row 0: 70 tokens (query blocks of 64 and 6), then 30 more continuing from its cache;
  // row 1: 20 tokens in the same call, then 5 single steps beside row 0's continuation.
  auto model = random_model(false);
  std::vector<TokenId> a, b;
  for (int i = 0; i < 100; ++i) a.push_back((i * 37 + 5) % 320);
  for (int i = 0; i < 25; ++i) b.push_back((i * 11 + 200) % 320);
  DecodeEngine engine(*model, WeightType::kF32);
  KvCache cache(model->config(), 2, 128);
  auto inputs = [](const std::vector<TokenId>& ids, std::int64_t row, std::int64_t from,
                   std::int64_t to, std::vector<DecodeInput>& out) {
    for (auto p = from; p < to; ++p)
      out.push_back({ids[static_cast<std::size_t>(p)], row, p, true});
  };
  std::vector<DecodeInput> first, second;
  inputs(a, 0, 0, 70, first);
  inputs(b, 1, 0, 20, first);
  inputs(a, 0, 70, 100, second);
  inputs(b, 1, 20, 25, second);
  std::swap(second[29], second[30]);  // rows interleaved: a single input between runs
  auto one = engine.forward(first, cache), two = engine.forward(second, cache);
  torch::NoGradGuard no_grad;
  auto forward = [&](const std::vector<TokenId>& ids) {
    return model->forward(
        torch::tensor(std::vector<std::int64_t>(ids.begin(), ids.end())).unsqueeze(0))[0];
  };
  auto ea = forward(a), eb = forward(b);
  EXPECT_LT((one.slice(0, 0, 70) - ea.slice(0, 0, 70)).abs().max().item<float>(), 1e-5f);
  EXPECT_LT((one.slice(0, 70, 90) - eb.slice(0, 0, 20)).abs().max().item<float>(), 1e-5f);
  auto got_a = torch::cat({two.slice(0, 0, 29), two.slice(0, 30, 31)});
  auto got_b = torch::cat({two.slice(0, 29, 30), two.slice(0, 31, 35)});
  EXPECT_LT((got_a - ea.slice(0, 70, 100)).abs().max().item<float>(), 1e-5f);
  EXPECT_LT((got_b - eb.slice(0, 20, 25)).abs().max().item<float>(), 1e-5f);
}

TEST(DecodeEngine, AnF16CacheStaysWithinFp16RoundingOfTheF32Cache) {
  // The same inputs through an fp32 and an fp16 cache: a 70-token prompt (query blocks on
  // widened keys), then 20 single steps (one key at a time on fp16 entries).
  auto model = random_model(false);
  DecodeEngine engine(*model, WeightType::kF32);
  KvCache f32(model->config(), 1, 96), f16(model->config(), 1, 96, torch::kHalf);
  EXPECT_EQ(f16.bytes_per_token() * 2, f32.bytes_per_token());
  std::vector<DecodeInput> prompt;
  for (std::int64_t p = 0; p < 70; ++p) prompt.push_back({(p * 37 + 5) % 320, 0, p, true});
  auto a = engine.forward(prompt, f32), b = engine.forward(prompt, f16);
  // fp16 keeps 11 significant bits: keys and values each within 2^-11 relative.
  const float scale = a.abs().max().item<float>();
  EXPECT_LT((a - b).abs().max().item<float>(), 4e-3f * scale);
  EXPECT_GT((a - b).abs().max().item<float>(), 0.0f) << "the fp16 cache rounded nothing";
  for (std::int64_t p = 70; p < 90; ++p) {
    std::vector<DecodeInput> one = {{(p * 11 + 3) % 320, 0, p, true}};
    auto x = engine.forward(one, f32), y = engine.forward(one, f16);
    EXPECT_LT((x - y).abs().max().item<float>(), 4e-3f * scale) << "position " << p;
  }
  // LibTorch's forward over an fp16 cache (generate()'s prefill) reads the same rounded
  // entries the engine wrote: continuing it on the engine stays within the same bound.
  KvCache torch_f16(model->config(), 1, 96, torch::kHalf);
  torch::NoGradGuard no_grad;
  ForwardOptions fwd;
  fwd.cache = &torch_f16;
  std::vector<std::int64_t> ids;
  for (const auto& in : prompt) ids.push_back(in.token);
  auto c = model->forward(torch::tensor(ids).unsqueeze(0), fwd)[0];
  EXPECT_LT((c - a).abs().max().item<float>(), 4e-3f * scale);
  std::vector<DecodeInput> next = {{17, 0, 70, true}};
  auto after_torch = engine.forward(next, torch_f16), after_engine = engine.forward(next, f16);
  EXPECT_LT((after_torch - after_engine).abs().max().item<float>(), 4e-3f * scale);
  EXPECT_THROW(parse_kv_cache_type("bf16"), std::invalid_argument);
}

TEST(BlockAttention, EqualsSoftmaxAttentionPerQueryComputedInDouble) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const std::int64_t HD = 16, first = 37, n = 20, ldq = 3 * HD, ldo = 2 * HD;
  std::vector<float> q(n * ldq), K((first + n) * HD), V((first + n) * HD), out(n * ldo, 7.0f);
  for (auto* v : {&q, &K, &V})
    for (auto& x : *v) x = 2 * normal(rng);
  const float scale = 0.25f;
  attend_block({q.data(), ldq, n, first}, K.data(), V.data(), HD, scale, out.data(), ldo);
  for (std::int64_t j = 0; j < n; ++j) {
    const auto seen = first + j + 1;
    std::vector<double> p(static_cast<std::size_t>(seen));
    double top = -1e300, sum = 0;
    for (std::int64_t t = 0; t < seen; ++t) {
      for (std::int64_t d = 0; d < HD; ++d) p[t] += double(q[j * ldq + d]) * K[t * HD + d];
      top = std::max(top, p[t] *= scale);
    }
    for (auto& v : p) sum += (v = std::exp(v - top));
    for (std::int64_t d = 0; d < HD; ++d) {
      double o = 0;
      for (std::int64_t t = 0; t < seen; ++t) o += p[t] / sum * V[t * HD + d];
      EXPECT_NEAR(out[j * ldo + d], o, 1e-5) << "query " << j << " dim " << d;
    }
    EXPECT_EQ(out[j * ldo + HD], 7.0f) << "wrote past the head's HD values";
  }
}

TEST(HugePageArray, IsZeroedWritableMovableAndAlignedToHugePages) {
  HugePageArray<float> a;
  EXPECT_TRUE(a.empty());
  a.resize(3 << 20);  // 12 MB: whole huge pages to advise
  ASSERT_EQ(a.size(), std::size_t{3} << 20);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % (std::size_t{2} << 20), 0u);
  for (std::size_t i = 0; i < a.size(); i += 4096) EXPECT_EQ(a[i], 0.0f) << i;
  a[a.size() - 1] = 7.0f;
  HugePageArray<float> b = std::move(a);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(b[b.size() - 1], 7.0f);
  HugePageArray<std::int8_t> small;
  small.resize(100);  // below one huge page: a plain mapping
  small[99] = 1;
  EXPECT_EQ(small[99], 1);
}

TEST(WeightMatrix, Q8_0ValuesWidenToBf16AsEachValueTimesItsScaleRoundedToNearestEven) {
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> value(-128, 127);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const std::int64_t n = 32 * 40;
  std::vector<std::int8_t> q(n);
  std::vector<std::uint16_t> d(n / 32), out(n);
  for (auto& v : q) v = static_cast<std::int8_t>(value(rng));
  for (auto& v : d) v = fp32_to_fp16(std::ldexp(normal(rng), static_cast<int>(value(rng)) / 16));
  q8_0_to_bf16(q.data(), d.data(), n, out.data());
  for (std::int64_t i = 0; i < n; ++i) {
    const double exact = double(q[i]) * double(fp16_to_fp32(d[i / 32]));
    ASSERT_EQ(out[i], fp32_to_bf16(static_cast<float>(exact))) << "value " << i;
    EXPECT_LE(std::abs(bf16_to_fp32(out[i]) - exact), std::abs(exact) / 256) << "value " << i;
  }
}

TEST(WeightMatrix, ManyInputsGoThroughTheGemmWithinBf16RoundingOfTheReference) {
  std::mt19937 rng(4);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const std::int64_t rows = 37, cols = 96, n = 40;
  std::vector<float> w(rows * cols), x(n * cols);
  for (auto& v : w) v = normal(rng);
  for (auto& v : x) v = normal(rng);
  std::vector<float> wq(w.size());
  std::vector<std::uint16_t> s(w.size() / 32);
  std::vector<std::int8_t> q(w.size());
  quantize_q8_0(w.data(), static_cast<std::int64_t>(w.size()), s.data(), q.data());
  dequantize_q8_0(s.data(), q.data(), static_cast<std::int64_t>(w.size()), wq.data());
  for (auto type : {WeightType::kBF16, WeightType::kQ8_0}) {
    WeightMatrix m({{w.data(), rows}}, cols, type);
    std::vector<float> y(n * rows);
    m.multiply(x.data(), n, y.data());
    // bf16 weights (the q8_0 values rounded to bf16) times bf16 inputs, bf16 outputs.
    const auto& weights = type == WeightType::kQ8_0 ? wq : w;
    for (std::int64_t i = 0; i < n; ++i) {
      std::vector<float> xi(x.begin() + i * cols, x.begin() + (i + 1) * cols);
      const auto ref = bf16_reference(weights, xi, rows, cols);
      for (std::int64_t r = 0; r < rows; ++r)
        EXPECT_NEAR(y[i * rows + r], ref[r], 2e-4 + std::abs(ref[r]) / 256)
            << weight_type_name(type) << " input " << i << " row " << r;
    }
  }
}

}  // namespace
}  // namespace chosei
