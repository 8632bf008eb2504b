#pragma once
// SHA-256 (FIPS 180-4): the content hash that keys caches and records what a run consumed
// (a reference model's weights and the data its log-probabilities were computed on).
// Incremental, so large files are hashed in pieces without being read whole.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace chosei {

class Sha256 {
 public:
  Sha256();
  Sha256& update(const void* data, std::size_t size);
  Sha256& update(const std::string& text) { return update(text.data(), text.size()); }
  // The digest as 64 lowercase hex digits; the object must not be updated afterwards.
  std::string hex();

 private:
  void block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;  // bytes so far
};

// The SHA-256 of a file's bytes, read in 1 MiB pieces; throws naming the file.
std::string sha256_file(const std::string& path);

}  // namespace chosei
