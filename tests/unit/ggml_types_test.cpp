// The ggml type table against the `gguf` package (llama.cpp's gguf-py, in the reference
// environment): every type's dequantization bit for bit on random blocks and on every tensor
// of the two real GGUF files of the models cache; every type chosei writes byte for byte
// against gguf's quantizer.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "base/atomic_file.h"
#include "base/sha256.h"
#include "formats/ggml_types.h"
#include "formats/gguf_quantize.h"
#include "formats/gguf_reader.h"
#include "tests/unit/test_data.h"

namespace chosei {
namespace {

std::string reference_script() {
  return test::source_dir() + "/tests/reference/ggml_blocks_reference.py";
}

// The first differing value, or "" when the two are the same bits.
std::string first_difference(const std::vector<float>& got, const std::vector<float>& expected) {
  if (got.size() != expected.size())
    return std::to_string(got.size()) + " values, expected " + std::to_string(expected.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    if (std::memcmp(&got[i], &expected[i], 4) != 0)
      return "value " + std::to_string(i) + ": " + std::to_string(got[i]) + ", gguf " +
             std::to_string(expected[i]);
  return "";
}

std::string random_blocks_file() {
  static const std::string path = [] {
    std::string log;
    const auto dir = test::cached_reference_dir(
        test::reference_env_python() + " " + reference_script() + " random", {reference_script()},
        &log);
    EXPECT_FALSE(dir.empty()) << log;
    return dir + "/blocks.gguf";
  }();
  return path;
}

TEST(GgmlTypes, TableNamesEveryTypeOnceAndRefusesOthersByName) {
  std::vector<std::uint32_t> ids;
  for (const auto& t : ggml_types()) {
    ids.push_back(static_cast<std::uint32_t>(t.type));
    EXPECT_EQ(&ggml_type_named(t.name), &t);
    EXPECT_EQ(ggml_type_name(t.type), t.name);
    ASSERT_NE(t.dequantize, nullptr) << t.name;
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
  EXPECT_EQ(ggml_type_named("q4_k").type, GgmlType::Q4_K);
  try {
    ggml_type_from_u32(16, "blk.0.ffn_up.weight");  // IQ2_XXS
    FAIL() << "IQ2_XXS accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("blk.0.ffn_up.weight"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("ggml type 16"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("Q4_K 12"), std::string::npos);
  }
  EXPECT_THROW(ggml_type_bytes(GgmlType::Q4_K, 255), std::invalid_argument);
  EXPECT_EQ(ggml_type_bytes(GgmlType::Q4_K, 512), 288u);
  EXPECT_THROW(encode_ggml(std::vector<float>(256, 1.0f), GgmlType::Q2_K), std::invalid_argument);
}

TEST(GgmlTypes, EveryTypeDequantizesAsTheGgufPackageBitForBit) {
  CHOSEI_REQUIRE_REFERENCE_ENV(python);
  GgufReader file(random_blocks_file());
  int checked = 0;
  for (const auto& t : ggml_types()) {
    if (t.type == GgmlType::F32) continue;
    const auto* blocks = file.find_tensor(std::string("deq.") + t.name);
    const auto* expected = file.find_tensor(std::string("deq.") + t.name + ".expected");
    ASSERT_TRUE(blocks && expected) << t.name << " missing from the reference file";
    ASSERT_EQ(blocks->type, t.type);
    EXPECT_EQ(first_difference(file.values(*blocks), file.values(*expected)), "") << t.name;
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(ggml_types().size()) - 1);
}

TEST(GgmlTypes, QuantizedBlocksEqualTheGgufPackagesByteForByte) {
  CHOSEI_REQUIRE_REFERENCE_ENV(python);
  GgufReader file(random_blocks_file());
  int checked = 0;
  for (const auto& t : ggml_types()) {
    const auto* input = file.find_tensor(std::string("quant.") + t.name + ".input");
    if (!input) continue;
    const auto* expected = file.find_tensor(std::string("quant.") + t.name + ".expected");
    ASSERT_NE(expected, nullptr) << t.name;
    const std::string ours = encode_ggml(file.values(*input), t.type);
    const auto bytes = ggml_type_bytes(t.type, expected->elements());
    ASSERT_EQ(ours.size(), bytes) << t.name;
    const auto* theirs = reinterpret_cast<const char*>(file.raw(*expected));
    const auto mismatch = std::mismatch(ours.begin(), ours.end(), theirs);
    EXPECT_EQ(mismatch.first, ours.end())
        << t.name << ": byte " << (mismatch.first - ours.begin()) << " differs";
    ++checked;
  }
  // Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, F16, BF16: every type the gguf package quantizes.
  EXPECT_EQ(checked, 7);
}

// ggml's reference K-quantizers: what they write reads back (through the dequantizers the
// gguf package vouches for above) within each type's error, more bits closer.
TEST(GgmlTypes, KQuantizersRoundTripWithinTheirError) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(256 * 64);
  for (auto& v : x) v = normal(rng) * 0.02f;
  std::fill(x.begin(), x.begin() + 256, 0.0f);  // an all-zero super-block
  double previous = 1.0;
  for (auto [type, bound] :
       {std::pair{GgmlType::Q4_K, 0.12}, {GgmlType::Q5_K, 0.06}, {GgmlType::Q6_K, 0.03}}) {
    const auto bytes = encode_ggml(x, type);
    const auto back = decode_ggml(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                  static_cast<std::int64_t>(x.size()), type);
    double err = 0, norm = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      err += (back[i] - x[i]) * (back[i] - x[i]);
      norm += x[i] * x[i];
    }
    const double relative = std::sqrt(err / norm);
    std::cout << "  " << ggml_type_name(type) << ": relative RMS error " << relative << "\n";
    EXPECT_LT(relative, bound) << ggml_type_name(type);
    EXPECT_LT(relative, previous) << ggml_type_name(type);
    previous = relative;
    for (int i = 0; i < 256; ++i) ASSERT_EQ(back[i], 0.0f) << ggml_type_name(type);
  }
}

void expect_every_tensor_as_gguf_dequantizes_it(const std::string& model) {
  CHOSEI_REQUIRE_REFERENCE_ENV(python);
  CHOSEI_REQUIRE_MODEL(path, model);
  std::string log;
  const auto dir = test::cached_reference_dir(python + " " + reference_script() + " hashes " + path,
                                              {reference_script(), path}, &log);
  ASSERT_FALSE(dir.empty()) << log;
  const auto expected = nlohmann::json::parse(read_file(dir + "/hashes.json"));
  GgufReader file(path);
  ASSERT_EQ(expected.size(), file.tensors().size());
  std::map<std::string, int> types;
  for (const auto& t : file.tensors()) {
    const auto values = file.values(t);
    const std::string hash = Sha256().update(values.data(), values.size() * sizeof(float)).hex();
    EXPECT_EQ(ggml_type_name(t.type), expected.at(t.name).at(0).get<std::string>()) << t.name;
    EXPECT_EQ(hash, expected.at(t.name).at(1).get<std::string>()) << t.name;
    ++types[ggml_type_name(t.type)];
  }
  for (const auto& [name, count] : types)
    std::cout << "  " << name << ": " << count << " tensors\n";
}

TEST(GgmlTypes, EveryTensorOfSmolLm2Q4_1DequantizesAsTheGgufPackage) {
  expect_every_tensor_as_gguf_dequantizes_it("SmolLM2-135M-Instruct.Q4_1.gguf");
}

TEST(GgmlTypes, EveryTensorOfGemma3Q4_K_MDequantizesAsTheGgufPackage) {
  expect_every_tensor_as_gguf_dequantizes_it("gemma-3-270m-q4_k_m.gguf");
}

}  // namespace
}  // namespace chosei
