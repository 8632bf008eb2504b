// safetensors: our writer's files read back (and by the independent Python reader), and
// every kind of corrupt file is refused with an error naming the problem.

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "formats/safetensors_reader.h"
#include "formats/safetensors_writer.h"
#include "tests/unit/test_data.h"

namespace chosei {
namespace {

std::string make_file(const std::string& header, const std::string& body) {
  std::string out(8, '\0');
  std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + body;
}

void expect_refused(const std::string& bytes, const std::string& message_part) {
  try {
    parse_safetensors(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(),
                      "x.safetensors");
    ADD_FAILURE() << "accepted a corrupt file; expected an error containing \"" << message_part
                  << "\"";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(message_part), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("x.safetensors"), std::string::npos) << e.what();
  }
}

TEST(Safetensors, WriteReadRoundTripAllFloatTypes) {
  auto dir = test::temp_dir("st_roundtrip");
  std::vector<float> f32 = {1.5f, -2.0f, 3.25f, 0.0f, 1e-8f, -7.0f};
  std::vector<std::uint16_t> f16 = {0x3C00, 0xC000, 0x7BFF};  // 1, -2, 65504
  std::vector<std::uint16_t> bf16 = {0x3F80, 0x4049};         // 1, ~3.14
  write_safetensors(dir + "/a.safetensors",
                    {{"w.f32", DType::F32, {2, 3}, f32.data(), 24},
                     {"w.f16", DType::F16, {3}, f16.data(), 6},
                     {"w.bf16", DType::BF16, {1, 2}, bf16.data(), 4},
                     {"empty", DType::F32, {0, 4}, nullptr, 0}},
                    {{"format", "pt"}});
  SafetensorsReader r(dir + "/a.safetensors");
  EXPECT_EQ(r.metadata().at("format"), "pt");
  ASSERT_EQ(r.tensors().size(), 4u);
  const auto& t = r.tensor("w.f32");
  EXPECT_EQ(t.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp(t.data, f32.data(), 24), 0);
  EXPECT_EQ(r.tensor("w.f16").dtype, DType::F16);
  EXPECT_EQ(std::memcmp(r.tensor("w.bf16").data, bf16.data(), 4), 0);
  EXPECT_EQ(r.tensor("empty").numel(), 0u);
  // The data buffer starts 8-byte aligned, as the format recommends.
  std::uint64_t header_len;
  std::ifstream(dir + "/a.safetensors", std::ios::binary)
      .read(reinterpret_cast<char*>(&header_len), 8);
  EXPECT_EQ(header_len % 8, 0u);
  EXPECT_THROW(r.tensor("missing"), std::out_of_range);
}

TEST(Safetensors, IndependentPythonReaderAcceptsOurFile) {
  const auto python = test::reference_python();
  if (python.empty()) GTEST_SKIP() << "python3 not available";
  auto dir = test::temp_dir("st_python");
  std::vector<float> data(12);
  for (int i = 0; i < 12; ++i) data[i] = i * 0.5f;
  write_safetensors(dir + "/m.safetensors", {{"a", DType::F32, {3, 4}, data.data(), 48},
                                             {"b", DType::F32, {2}, data.data(), 8}});
  std::string out;
  int rc =
      test::run_command(python + " " + test::source_dir() +
                            "/tests/reference/safetensors_check.py " + dir + "/m.safetensors 2>&1",
                        &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("a F32 [3, 4] sum=33.0"), std::string::npos) << out;
}

TEST(Safetensors, WriterRefusesInconsistentInput) {
  auto dir = test::temp_dir("st_bad_write");
  float x[4] = {};
  EXPECT_THROW(write_safetensors(dir + "/a.safetensors", {{"a", DType::F32, {3}, x, 16}}),
               std::invalid_argument);
  EXPECT_THROW(write_safetensors(dir + "/a.safetensors",
                                 {{"a", DType::F32, {1}, x, 4}, {"a", DType::F32, {1}, x, 4}}),
               std::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(dir + "/a.safetensors"));
}

TEST(Safetensors, RefusesCorruptFiles) {
  const std::string ok_entry = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string body(8, '\0');
  expect_refused("", "shorter than the 8-byte header length");
  expect_refused("\x05\x00\x00", "shorter than the 8-byte header length");
  // Header length beyond the file, and absurdly large (no huge allocation).
  std::string big(8, '\xff');
  expect_refused(big + "{}", "exceeds the 100 MB limit");
  std::string too_long = make_file(ok_entry, body);
  std::uint64_t n = 5000;
  std::memcpy(too_long.data(), &n, 8);
  expect_refused(too_long, "runs past the end");
  expect_refused(make_file("{not json", body), "not valid JSON");
  expect_refused(make_file("[1,2]", body), "not a JSON object");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", body),
                 "beyond the data buffer");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", body),
                 "shape and dtype need 12 bytes but data_offsets span 8");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                           R"("b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
                           body),
                 "overlap");
  expect_refused(make_file(R"({"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", body),
                 "unsupported dtype");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", body),
                 "negative");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", body),
                 "begin > end");
  expect_refused(
      make_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})",
                body),
      "overflows");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[2]}})", body),
                 "missing \"data_offsets\"");
  expect_refused(make_file(R"({"__metadata__":{"k":1}})", body), "is not a string");
}

TEST(Safetensors, FuzzCorpusFilesAreRefusedOrParsed) {
  // The checked-in corpus: files named valid_* are well formed and must parse; every other
  // one is corrupt in a known way and must be refused with runtime_error, never crash.
  auto corpus = test::source_dir() + "/tests/fuzz/corpus";
  ASSERT_TRUE(std::filesystem::is_directory(corpus));
  int valid = 0, corrupt = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("valid_", 0) == 0) {
      SafetensorsReader r(entry.path().string());
      EXPECT_FALSE(r.tensors().empty()) << name;
      ++valid;
    } else {
      EXPECT_THROW(SafetensorsReader(entry.path().string()), std::runtime_error) << name;
      ++corrupt;
    }
  }
  EXPECT_GE(valid, 2);
  EXPECT_GE(corrupt, 10);
}

}  // namespace
}  // namespace chosei
