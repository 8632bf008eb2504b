#pragma once
// HugePageArray<T>: a fixed-size, zero-initialized array in its own anonymous mapping, 2 MB
// aligned and advised MADV_HUGEPAGE before its first touch, so the kernel may back it with
// huge pages (THP "madvise" mode, Debian's default). Decoding streams every weight once per
// token: on 4 KB pages each 4 KB read also walks the page table, which cost ~20% of the
// bf16 and q8_0 decoding speed of a ~100M model here. Without THP it is a plain mapping.

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace chosei {

template <typename T>
class HugePageArray {
 public:
  HugePageArray() = default;
  HugePageArray(const HugePageArray&) = delete;
  HugePageArray& operator=(const HugePageArray&) = delete;
  HugePageArray(HugePageArray&& other) noexcept { swap(other); }
  HugePageArray& operator=(HugePageArray&& other) noexcept {
    HugePageArray(std::move(other)).swap(*this);
    return *this;
  }
  ~HugePageArray() {
    if (base_) munmap(base_, mapped_);
  }

  // Allocates n zeroed elements (the array must be empty); throws std::bad_alloc.
  void resize(std::size_t n) {
    if (n == 0) return;
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    const std::size_t bytes = n * sizeof(T);
    mapped_ = bytes + kHuge;
    void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      mapped_ = 0;
      throw std::bad_alloc();
    }
    base_ = p;
    const auto at = (reinterpret_cast<std::uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
    data_ = reinterpret_cast<T*>(at);
    size_ = n;
    // Whole huge pages only: a partly used one at the end would hold up to 2 MB of RSS for
    // nothing (small arrays, such as q8_0 scales, stay on 4 KB pages).
    if (bytes >= kHuge) madvise(reinterpret_cast<void*>(at), bytes & ~(kHuge - 1), MADV_HUGEPAGE);
  }
  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }

 private:
  void swap(HugePageArray& other) noexcept {
    std::swap(base_, other.base_);
    std::swap(mapped_, other.mapped_);
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
  }
  void* base_ = nullptr;
  std::size_t mapped_ = 0;
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace chosei
