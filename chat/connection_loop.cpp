#include "chat/connection_loop.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace chosei {

namespace {

constexpr std::uint64_t kListenId = 0;
constexpr std::uint64_t kWakeId = ~std::uint64_t(0);
constexpr std::size_t kReadChunk = 64 << 10;
constexpr double kLingerSeconds =
    2;  // reading what a refused client still sends, so it sees the answer
constexpr std::size_t kRefusedReserve = 64;  // connections kept open only to be answered 503

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string address_of(const sockaddr_storage& a) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a).sin_addr, buf, sizeof buf);
  else if (a.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, buf, sizeof buf);
  return buf;
}

// A server holds a descriptor per connection: let it have as many as the hard limit allows.
void raise_descriptor_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

enum class Phase { kIdle, kReading, kHandling, kLingering };

}  // namespace

struct Connection {
  std::uint64_t id = 0;
  int fd = -1;
  std::string peer;
  Phase phase = Phase::kIdle;
  bool dead = false;
  HttpRequestParser parser;
  std::string in;  // read, not yet parsed
  bool head_seen = false;
  HeadVerdict verdict;
  std::string body;
  int spool_fd = -1;
  bool spool_failed = false, truncated = false;
  std::string out;  // being written
  std::size_t out_at = 0;
  std::shared_ptr<ResponseOutbox> outbox;
  bool response_complete = false, close_after = false, shut = false;
  double deadline = 0, progress = 0;
  std::uint32_t interest = 0;
};

struct ConnectionLoop::Impl {
  ConnectionLimits limits;
  Handlers handlers;
  int listen_fd = -1, epoll_fd = -1, wake_fd = -1, spare_fd = -1;
  std::atomic<bool> stopping{false};
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> conns;
  std::unordered_map<std::string, std::size_t> per_peer;
  std::uint64_t next_id = 1;
  std::mutex posted_mutex;
  std::vector<std::uint64_t> posted;
  std::array<std::atomic<std::size_t>, 4> in_phase{};
  std::atomic<std::size_t> open{0};
  std::atomic<std::int64_t> accepted{0}, refused{0}, timed_out{0};
  double last_scan = 0;

  ~Impl() {
    for (auto& [id, c] : conns) close_conn(*c);
    for (int fd : {listen_fd, epoll_fd, wake_fd, spare_fd})
      if (fd >= 0) ::close(fd);
  }

  void set_phase(Connection& c, Phase p) {
    --in_phase[static_cast<std::size_t>(c.phase)];
    ++in_phase[static_cast<std::size_t>(p)];
    c.phase = p;
  }

  void watch(Connection& c, std::uint32_t events) {
    if (c.dead || c.interest == events) return;
    epoll_event e{};
    e.events = events;
    e.data.u64 = c.id;
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &e);
    c.interest = events;
  }

  void close_conn(Connection& c) {
    if (c.dead) return;
    c.dead = true;
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    if (c.spool_fd >= 0) ::close(c.spool_fd);
    if (c.outbox) c.outbox->abandon();
    if (--per_peer[c.peer] == 0) per_peer.erase(c.peer);
    --in_phase[static_cast<std::size_t>(c.phase)];
    --open;
  }

  void post(std::uint64_t id) {
    {
      std::lock_guard<std::mutex> lock(posted_mutex);
      posted.push_back(id);
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
  }

  // An answer the loop gives itself; the connection closes once it is sent.
  void refuse(Connection& c, int status, const std::string& detail) {
    c.out = handlers.error_response(status, detail);
    c.out_at = 0;
    c.in.clear();
    if (c.spool_fd >= 0) ::close(c.spool_fd), c.spool_fd = -1;
    set_phase(c, Phase::kLingering);
    c.deadline = now_s() + limits.send_timeout_s;
    watch(c, EPOLLIN | EPOLLRDHUP);
    flush(c);
  }

  // Takes what the answering thread produced, when the last of it has been written.
  void pull(Connection& c) {
    if (!c.outbox) return;
    {
      std::lock_guard<std::mutex> lock(c.outbox->mutex);
      c.out = std::move(c.outbox->pending);
      c.outbox->pending.clear();
      c.response_complete = c.outbox->complete;
      c.close_after = c.outbox->close_after;
    }
    c.out_at = 0;
    c.progress = now_s();  // the send timeout counts from when there is something to send
    c.outbox->drained.notify_all();
  }

  void flush(Connection& c) {
    for (;;) {
      if (c.out_at == c.out.size()) {
        c.out.clear();
        c.out_at = 0;
        if (c.phase == Phase::kHandling && !c.response_complete) pull(c);
        if (c.out.empty()) break;
      }
      const auto w = ::send(c.fd, c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) return close_conn(c);
        watch(c, c.interest | EPOLLOUT);
        return;
      }
      c.out_at += static_cast<std::size_t>(w);
      c.progress = now_s();
    }
    watch(c, c.interest & ~std::uint32_t(EPOLLOUT));
    if (c.phase == Phase::kHandling && c.response_complete) return finish_response(c);
    if (c.phase == Phase::kLingering && !c.shut) {
      ::shutdown(c.fd, SHUT_WR);
      c.shut = true;
      c.deadline = now_s() + kLingerSeconds;
    }
  }

  void finish_response(Connection& c) {
    c.outbox.reset();
    if (c.truncated) {  // the client may still be sending: read it away so it sees the answer
      set_phase(c, Phase::kLingering);
      ::shutdown(c.fd, SHUT_WR);
      c.shut = true;
      c.deadline = now_s() + kLingerSeconds;
      return watch(c, EPOLLIN | EPOLLRDHUP);
    }
    if (c.close_after || !c.parser.head().keep_alive) return close_conn(c);
    c.parser.reset();
    c.head_seen = c.response_complete = false;
    c.body.clear();
    c.verdict = HeadVerdict();
    set_phase(c, Phase::kIdle);
    c.deadline = now_s() + limits.idle_timeout_s;
    watch(c, EPOLLIN | EPOLLRDHUP);
    process_input(c);  // a pipelined request may be here already
  }

  bool take_body(Connection& c, const char* data, std::size_t n) {
    if (c.parser.body_bytes() + n > c.verdict.body_limit) return false;
    if (c.spool_fd < 0) {
      c.body.append(data, n);
      return true;
    }
    while (n > 0) {
      const auto w = ::write(c.spool_fd, data, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return !(c.spool_failed = true);
      data += w, n -= static_cast<std::size_t>(w);
    }
    return true;
  }

  int open_spool() const {
    namespace fs = std::filesystem;
    const fs::path dir =
        limits.spool_dir.empty() ? fs::temp_directory_path() : fs::path(limits.spool_dir);
    std::string name = (dir / "chosei-body-XXXXXX").string();
    const int fd = ::mkstemp(name.data());
    if (fd >= 0) ::unlink(name.c_str());  // gone with its descriptor, whatever happens
    return fd;
  }

  // False when the request was refused from its head.
  bool on_head(Connection& c) {
    const auto& head = c.parser.head();
    c.verdict = handlers.on_head(head);
    if (c.verdict.refuse_status)
      return refuse(c, c.verdict.refuse_status, c.verdict.refuse_detail), false;
    if (!head.chunked && head.content_length > c.verdict.body_limit)
      return refuse(c, 413, c.verdict.limit_detail), false;
    if (c.verdict.spool && c.parser.state() == HttpRequestParser::State::kBody &&
        (c.spool_fd = open_spool()) < 0)
      return refuse(c, 500,
                    "the request body cannot be stored: " + std::string(std::strerror(errno))),
             false;
    if (head.expects_continue && c.parser.state() == HttpRequestParser::State::kBody) {
      c.out += "HTTP/1.1 100 Continue\r\n\r\n";
      flush(c);
    }
    return true;
  }

  void dispatch(Connection& c) {
    ReadRequest r{c.parser.head(), c.peer, std::move(c.body), c.spool_fd, c.truncated};
    c.spool_fd = -1;
    c.body.clear();
    c.outbox = std::make_shared<ResponseOutbox>();
    set_phase(c, Phase::kHandling);
    c.deadline = 0;
    watch(c, EPOLLRDHUP);  // the next request waits in the socket until this one is answered
    const auto id = c.id;
    handlers.dispatch(std::move(r), c.outbox, [this, id] { post(id); });
  }

  void process_input(Connection& c) {
    using State = HttpRequestParser::State;
    while (!c.dead && (c.phase == Phase::kIdle || c.phase == Phase::kReading) && !c.in.empty()) {
      if (c.phase == Phase::kIdle) {
        set_phase(c, Phase::kReading);
        c.deadline = now_s() + limits.header_timeout_s;
      }
      std::size_t used = 0;
      try {
        used = c.parser.feed(c.in.data(), c.in.size(),
                             [&](const char* d, std::size_t n) { return take_body(c, d, n); });
      } catch (const HttpParseError& e) {
        return refuse(c, e.status, e.what());
      }
      c.in.erase(0, used);
      if (!c.head_seen && c.parser.state() != State::kHead) {
        c.head_seen = true;
        if (!on_head(c)) return;
      }
      if (c.parser.stopped()) {
        if (c.spool_fd < 0) return refuse(c, 413, c.verdict.limit_detail);
        if (c.spool_failed) return refuse(c, 500, "the request body cannot be stored");
        c.truncated = true;
        return dispatch(c);
      }
      if (c.parser.state() == State::kBody) c.deadline = now_s() + limits.body_timeout_s;
      if (c.parser.state() == State::kComplete) return dispatch(c);
      if (used == 0) break;
    }
  }

  void on_readable(Connection& c) {
    char buf[kReadChunk];
    const auto r = ::recv(c.fd, buf, sizeof buf, 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (r <= 0) return close_conn(c);
    if (c.phase == Phase::kLingering) return;  // discarded
    c.in.append(buf, static_cast<std::size_t>(r));
    process_input(c);
  }

  void on_event(Connection& c, std::uint32_t events) {
    if (events & EPOLLERR) return close_conn(c);
    if (events & EPOLLOUT) flush(c);
    if (c.dead) return;
    if (events & EPOLLIN) return on_readable(c);
    if (events & (EPOLLHUP | EPOLLRDHUP)) close_conn(c);  // gone while its answer is made
  }

  void accept_all() {
    for (;;) {
      sockaddr_storage a{};
      socklen_t len = sizeof a;
      const int fd =
          ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&a), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) shed_one();
        return;
      }
      ++accepted;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      const auto peer = address_of(a);
      if (conns.size() >= limits.max_connections + kRefusedReserve) {
        ++refused;
        ::close(fd);
        continue;
      }
      const bool over = conns.size() >= limits.max_connections ||
                        per_peer[peer] >= limits.max_connections_per_client;
      add(fd, peer, over);
    }
  }

  // Out of descriptors: accept with the spare one and close at once, so the kernel's queue
  // does not keep the loop spinning on a connection it cannot take.
  void shed_one() {
    ::close(spare_fd);
    const int fd = ::accept(listen_fd, nullptr, nullptr);
    if (fd >= 0) ::close(fd), ++refused;
    spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }

  void add(int fd, const std::string& peer, bool over_limit) {
    auto c = std::make_unique<Connection>();
    c->id = next_id++;
    c->fd = fd;
    c->peer = peer;
    c->interest = EPOLLIN | EPOLLRDHUP;
    c->deadline = now_s() + limits.idle_timeout_s;
    epoll_event e{};
    e.events = c->interest;
    e.data.u64 = c->id;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &e);
    ++per_peer[peer];
    ++in_phase[static_cast<std::size_t>(Phase::kIdle)];
    ++open;
    auto& ref = *c;
    conns.emplace(c->id, std::move(c));
    if (!over_limit) return;
    ++refused;
    refuse(ref, 503, "this server has too many open connections; try again shortly");
  }

  void on_wake() {
    std::uint64_t n;
    [[maybe_unused]] auto r = ::read(wake_fd, &n, sizeof n);
    std::vector<std::uint64_t> ids;
    {
      std::lock_guard<std::mutex> lock(posted_mutex);
      ids.swap(posted);
    }
    for (auto id : ids) {
      const auto it = conns.find(id);
      if (it != conns.end() && !it->second->dead && it->second->phase == Phase::kHandling)
        flush(*it->second);
    }
  }

  bool expired(const Connection& c, double now) const {
    if (c.phase == Phase::kHandling)
      return c.out_at < c.out.size() && now > c.progress + limits.send_timeout_s;
    return now > c.deadline;
  }

  void expire(double now) {
    if (now - last_scan < 0.05) return;
    last_scan = now;
    for (auto& [id, c] : conns)
      if (!c->dead && expired(*c, now)) {
        if (c->phase != Phase::kLingering && c->phase != Phase::kIdle) ++timed_out;
        close_conn(*c);
      }
  }

  void sweep() {
    for (auto it = conns.begin(); it != conns.end();)
      it = it->second->dead ? conns.erase(it) : std::next(it);
  }
};

ConnectionLoop::ConnectionLoop(ConnectionLimits limits, Handlers handlers)
    : impl_(std::make_unique<Impl>()) {
  impl_->limits = std::move(limits);
  impl_->handlers = std::move(handlers);
}

ConnectionLoop::~ConnectionLoop() = default;

int ConnectionLoop::bind(const std::string& host, int port) {
  raise_descriptor_limit();
  addrinfo hints{}, *found = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  const auto where = host + ":" + std::to_string(port);
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found)
    throw std::runtime_error("cannot listen on " + where + ": unknown host");
  int fd = -1;
  for (auto* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) ::close(fd), fd = -1;
  }
  const int err = errno;
  freeaddrinfo(found);
  if (fd < 0) throw std::runtime_error("cannot listen on " + where + ": " + std::strerror(err));
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  const int actual =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                        : reinterpret_cast<sockaddr_in&>(bound).sin_port);
  auto& m = *impl_;
  m.listen_fd = fd;
  m.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  m.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  m.spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  for (auto [f, id] :
       {std::pair<int, std::uint64_t>{m.listen_fd, kListenId}, {m.wake_fd, kWakeId}}) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = id;
    epoll_ctl(m.epoll_fd, EPOLL_CTL_ADD, f, &e);
  }
  return actual;
}

void ConnectionLoop::run() {
  auto& m = *impl_;
  std::vector<epoll_event> events(256);
  while (!m.stopping) {
    const int n = epoll_wait(m.epoll_fd, events.data(), static_cast<int>(events.size()), 50);
    for (int i = 0; i < n; ++i) {
      const auto id = events[i].data.u64;
      if (id == kListenId) {
        m.accept_all();
      } else if (id == kWakeId) {
        m.on_wake();
      } else {
        const auto it = m.conns.find(id);
        if (it != m.conns.end() && !it->second->dead) m.on_event(*it->second, events[i].events);
      }
    }
    m.expire(now_s());
    m.sweep();
  }
  for (auto& [id, c] : m.conns) m.close_conn(*c);
  m.conns.clear();
}

void ConnectionLoop::stop() {
  impl_->stopping = true;
  const std::uint64_t one = 1;
  if (impl_->wake_fd >= 0) {
    [[maybe_unused]] auto n = ::write(impl_->wake_fd, &one, sizeof one);
  }
}

ConnectionStats ConnectionLoop::stats() const {
  ConnectionStats s;
  s.open = impl_->open;
  s.idle = impl_->in_phase[static_cast<std::size_t>(Phase::kIdle)];
  s.reading = impl_->in_phase[static_cast<std::size_t>(Phase::kReading)];
  s.handling = impl_->in_phase[static_cast<std::size_t>(Phase::kHandling)];
  s.accepted = impl_->accepted;
  s.refused = impl_->refused;
  s.timed_out = impl_->timed_out;
  return s;
}

}  // namespace chosei
