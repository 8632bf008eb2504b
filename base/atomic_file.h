#pragma once
// Atomic file writes: the content goes to a temporary file in the same directory, is
// fsync'ed, then renamed over the destination, so a reader (or a crash) sees either the
// old file or the whole new one, never a torn write.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace chosei {

// Writes `content` to `path` atomically. Throws std::runtime_error naming the path.
void write_file_atomic(const std::string& path, const std::string& content);

// Streams into a temporary file through `fill`, then fsyncs and renames it to `path`.
// When `fill` throws, the temporary file is removed and `path` is left untouched.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& fill);

// fsyncs a directory, so a rename inside it survives a power loss.
void sync_directory(const std::string& path);

// Reads a whole file; throws std::runtime_error naming the path.
std::string read_file(const std::string& path);

}  // namespace chosei
