#pragma once
// MappedFile: a read-only memory map of a whole file. Move-only; unmaps on destruction.
// An empty file maps to size() == 0 and data() == nullptr.

#include <cstddef>
#include <cstdint>
#include <string>

namespace chosei {

class MappedFile {
 public:
  // Throws std::runtime_error naming the path when the file cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Drops the whole pages inside [begin, begin + n) from memory (they are read back from the
  // file if touched again): a loader that copied them out keeps its resident size to one copy.
  void release(const std::uint8_t* begin, std::size_t n) const;

 private:
  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace chosei
