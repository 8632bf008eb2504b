// GGUF pieces: half-precision conversion against PyTorch's c10::Half, Q8_0 blocks against
// hand-computed values, the writer's file read back, hostile files refused, the llama.cpp
// tensor names and RoPE row order, and SentencePiece pieces against Google's library.
// (llama.cpp itself loading the files is tests/cli/export_gguf.sh.)

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

#include "base/atomic_file.h"
#include "base/half_float.h"
#include "formats/gguf_export.h"
#include "formats/gguf_quantize.h"
#include "formats/gguf_reader.h"
#include "formats/gguf_tensor_names.h"
#include "formats/gguf_vocabulary.h"
#include "formats/gguf_writer.h"
#include "formats/model_dir.h"
#include "tests/unit/test_data.h"
#include "tokenizer/sentencepiece_model_proto.h"

namespace chosei {
namespace {

std::uint16_t torch_half_bits(float x) {
  auto h = torch::tensor({x}).to(torch::kHalf);
  std::uint16_t bits;
  std::memcpy(&bits, h.data_ptr(), 2);
  return bits;
}

TEST(Gguf, HalfConversionMatchesPyTorchForEdgeCasesAndRandomValues) {
  std::vector<float> values = {0.0f,
                               -0.0f,
                               1.0f,
                               -2.5f,
                               65504.0f,
                               65519.0f,
                               65520.0f,
                               1e6f,
                               6.1035156e-05f,
                               5.9604645e-08f,
                               2.9802322e-08f,
                               2.98023259e-08f,
                               1e-9f,
                               0.1f,
                               1.0009765625f,
                               1.00048828125f,
                               1.00146484375f,
                               std::numeric_limits<float>::infinity(),
                               -std::numeric_limits<float>::infinity()};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> exponent(-28.0f, 17.0f);
  std::uniform_int_distribution<int> sign(0, 1);
  for (int i = 0; i < 20000; ++i)
    values.push_back((sign(rng) ? -1.0f : 1.0f) * std::exp2(exponent(rng)));
  for (float v : values) ASSERT_EQ(fp32_to_fp16(v), torch_half_bits(v)) << "value " << v;
  EXPECT_EQ(fp32_to_fp16(std::nanf("")) & 0x7c00u, 0x7c00u);
  // Every half back to float, as PyTorch widens it.
  auto all = torch::arange(0, 65536, torch::kInt32).to(torch::kInt16).view(torch::kHalf);
  auto widened = all.to(torch::kFloat32);
  for (int bits = 0; bits < 65536; ++bits) {
    const float ours = fp16_to_fp32(static_cast<std::uint16_t>(bits));
    const float theirs = widened[bits].item<float>();
    if (std::isnan(theirs))
      ASSERT_TRUE(std::isnan(ours)) << bits;
    else
      ASSERT_EQ(ours, theirs) << "half bits " << bits;
  }
}

TEST(Gguf, Q8_0BlocksAsGgmlComputesThem) {
  // One block: x_j = (j - 8) / 4, so max |x| = 23/4 and d = 5.75 / 127.
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 8) / 4.0f;
  const std::string bytes = encode_ggml(x, GgmlType::Q8_0);
  ASSERT_EQ(bytes.size(), 34u);
  std::uint16_t d_bits = static_cast<std::uint16_t>(static_cast<std::uint8_t>(bytes[0]) |
                                                    (static_cast<std::uint8_t>(bytes[1]) << 8));
  EXPECT_EQ(d_bits, fp32_to_fp16(5.75f / 127.0f));
  auto q = [&](int j) { return static_cast<int>(static_cast<std::int8_t>(bytes[2 + j])); };
  EXPECT_EQ(q(31), 127);  // the largest value maps to 127
  EXPECT_EQ(q(8), 0);
  EXPECT_EQ(q(0), -44);  // round(-2 * 127 / 5.75) = round(-44.17)
  EXPECT_EQ(q(9), 6);    // round(0.25 * 127 / 5.75) = round(5.52)
  EXPECT_EQ(q(10), 11);  // round(11.04)
  auto back = decode_ggml(reinterpret_cast<const std::uint8_t*>(bytes.data()), 32, GgmlType::Q8_0);
  const float d = fp16_to_fp32(d_bits);
  for (int j = 0; j < 32; ++j) EXPECT_FLOAT_EQ(back[j], d * static_cast<float>(q(j)));
  // An all-zero block has scale 0 and zero quants.
  auto zeros = encode_ggml(std::vector<float>(32, 0.0f), GgmlType::Q8_0);
  EXPECT_EQ(zeros, std::string(34, '\0'));
  EXPECT_THROW(encode_ggml(std::vector<float>(31, 1.0f), GgmlType::Q8_0), std::invalid_argument);
}

std::string write_small_file(const std::string& dir) {
  GgufWriter w;
  w.set("general.architecture", GgufValue::string("llama"));
  w.set("general.alignment", GgufValue::u32(32));
  w.set("some.f32", GgufValue::f32(0.25f));
  w.set("some.flag", GgufValue::boolean(true));
  w.set("some.tokens", GgufValue::string_array({"a", "", "ü"}));
  w.set("some.ids", GgufValue::i32_array({-1, 0, 7}));
  std::vector<float> m(2 * 32), v = {1.5f, -2.0f, 3.25f};
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<float>(i) / 8.0f - 3.0f;
  w.add_tensor("m.q8", {2, 32}, GgmlType::Q8_0, [m] { return encode_ggml(m, GgmlType::Q8_0); });
  w.add_tensor("v.f32", {3}, GgmlType::F32, [v] { return encode_ggml(v, GgmlType::F32); });
  w.add_tensor("m.f16", {2, 32}, GgmlType::F16, [m] { return encode_ggml(m, GgmlType::F16); });
  const std::string path = dir + "/small.gguf";
  w.write(path);
  return path;
}

TEST(Gguf, WrittenFileReadsBackWithAlignedTensors) {
  const std::string path = write_small_file(test::temp_dir("gguf_roundtrip"));
  GgufReader r(path);
  EXPECT_EQ(r.version(), 3u);
  EXPECT_EQ(r.at("general.architecture").as_string("a"), "llama");
  EXPECT_FLOAT_EQ(static_cast<float>(r.at("some.f32").as_float("f")), 0.25f);
  EXPECT_TRUE(r.at("some.flag").as_bool("b"));
  EXPECT_EQ(r.at("some.tokens").strings, (std::vector<std::string>{"a", "", "ü"}));
  EXPECT_EQ(r.at("some.ids").numbers, (std::vector<double>{-1, 0, 7}));
  ASSERT_EQ(r.tensors().size(), 3u);
  for (const auto& t : r.tensors()) EXPECT_EQ(t.offset % 32, 0u) << t.name;
  EXPECT_EQ(r.find_tensor("m.q8")->shape, (std::vector<std::int64_t>{2, 32}));
  EXPECT_EQ(r.values(*r.find_tensor("v.f32")), (std::vector<float>{1.5f, -2.0f, 3.25f}));
  auto f16 = r.values(*r.find_tensor("m.f16"));
  auto q8 = r.values(*r.find_tensor("m.q8"));
  for (int i = 0; i < 64; ++i) {
    const float x = static_cast<float>(i) / 8.0f - 3.0f;
    EXPECT_EQ(f16[i], x);                 // eighths are exact in half precision
    EXPECT_NEAR(q8[i], x, 4.875f / 127);  // within one quantization step of its block
  }
  EXPECT_THROW(r.at("missing.key"), std::runtime_error);
}

TEST(Gguf, TruncatedAndHostileFilesAreRefusedNamingThePath) {
  const std::string dir = test::temp_dir("gguf_hostile");
  const std::string good = read_file(write_small_file(dir));
  const std::string path = dir + "/bad.gguf";
  // Every prefix of a valid file: an error, never a crash or a read past the end.
  for (std::size_t n = 0; n < good.size(); n += (n < 400 ? 1 : 97)) {
    write_file_atomic(path, good.substr(0, n));
    try {
      GgufReader r(path);
      // A prefix that still holds every header byte must fail on the tensor data.
      ADD_FAILURE() << "accepted a file cut at byte " << n << " of " << good.size();
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  // A string length of 2^62 is refused before anything is allocated.
  std::string hostile = good;
  std::uint64_t huge = 1ull << 62;
  std::memcpy(hostile.data() + 24, &huge, 8);  // the first key's length
  write_file_atomic(path, hostile);
  EXPECT_THROW(GgufReader{path}, std::runtime_error);
  std::string wrong_magic = good;
  wrong_magic[0] = 'X';
  write_file_atomic(path, wrong_magic);
  try {
    GgufReader r(path);
    ADD_FAILURE() << "accepted a wrong magic";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("magic"), std::string::npos) << e.what();
  }
}

TEST(Gguf, TensorNamesAreLlamaCppsAndUnknownOnesAreNotExported) {
  EXPECT_EQ(gguf_tensor_name("model.embed_tokens.weight", architecture_for_model_type("llama")),
            "token_embd.weight");
  EXPECT_EQ(gguf_tensor_name("model.layers.12.self_attn.k_proj.bias",
                             architecture_for_model_type("llama")),
            "blk.12.attn_k.bias");
  EXPECT_EQ(
      gguf_tensor_name("model.layers.0.mlp.down_proj.weight", architecture_for_model_type("llama")),
      "blk.0.ffn_down.weight");
  EXPECT_EQ(gguf_tensor_name("model.layers.3.post_attention_layernorm.weight",
                             architecture_for_model_type("llama")),
            "blk.3.ffn_norm.weight");
  EXPECT_EQ(gguf_tensor_name("score.weight", architecture_for_model_type("llama")), "");
  EXPECT_EQ(gguf_architecture("mistral"), "llama");
  EXPECT_THROW(gguf_architecture("gpt2"), std::invalid_argument);
}

TEST(Gguf, SentencePiecePiecesMatchGooglesLibrary) {
  CHOSEI_REQUIRE_DATA(dir, "derived_hf_llama_stories260K");
  auto proto = parse_sentencepiece_model(read_file(dir + "/tokenizer.model"), "tok512.model");
  auto m = load_model_dir(dir);
  const Tokenizer& tok = *m.tokenizer.tokenizer;
  ASSERT_EQ(static_cast<std::int64_t>(proto.pieces.size()), tok.vocab_size());
  for (std::size_t id = 0; id < proto.pieces.size(); ++id) {
    EXPECT_EQ(proto.pieces[id].piece, tok.id_to_token(static_cast<TokenId>(id))) << id;
    EXPECT_EQ(proto.pieces[id].type == 3,
              tok.is_special(static_cast<TokenId>(id)) && proto.pieces[id].type != 2)
        << id;
  }
  EXPECT_EQ(proto.pieces[0].type, 2);  // <unk>
  EXPECT_TRUE(proto.add_dummy_prefix);
  EXPECT_THROW(parse_sentencepiece_model("\x0a\xff", "bad.model"), std::invalid_argument);
}

}  // namespace
}  // namespace chosei
