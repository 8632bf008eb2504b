#pragma once
// ResponseOutbox: the bytes of one response on their way from the thread that answers a
// request to the event loop that owns the connection. The answering thread appends (and waits
// while the client reads slower than the response is produced); the loop takes what is
// pending whenever the socket can take more.

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>

namespace chosei {

struct ResponseOutbox {
  static constexpr std::size_t kHighWater = 1 << 20;  // an answer waits above this

  std::mutex mutex;
  std::condition_variable drained;
  std::string pending;
  bool complete = false;     // the whole response is in (or was) pending
  bool close_after = false;  // the connection closes once the response is sent
  bool gone = false;         // the client left or the server stops: appending is pointless

  // Appends `bytes` unless the client is gone; false once it is.
  bool append(const std::string& bytes) {
    std::unique_lock<std::mutex> lock(mutex);
    drained.wait(lock, [&] { return gone || pending.size() < kHighWater; });
    if (gone) return false;
    pending += bytes;
    return true;
  }
  void finish(bool close) {
    std::lock_guard<std::mutex> lock(mutex);
    complete = true;
    close_after = close_after || close;
  }
  void abandon() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      gone = true;
    }
    drained.notify_all();
  }
};

}  // namespace chosei
