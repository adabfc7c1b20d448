// sse-bench: one process, one thread, one io_context. Opens N SSE subscribers on loopback,
// publishes numbered events over M keep-alive connections, matches every event each
// subscriber receives to the moment it was sent, and reports throughput, missing
// deliveries, latency percentiles and the CPU and memory of both sides.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <fmt/format.h>

#include "bench_options.hpp"
#include "latency_recorder.hpp"
#include "proc_sampler.hpp"
#include "sse_frame_parser.hpp"

namespace relay::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using asio::awaitable;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Run;
class StreamPoller;

// One SSE stream. Received events are kept as a bitset over sequence numbers, so missing
// and duplicated deliveries are exact whatever order concurrent publishes arrive in.
struct Subscriber {
  Subscriber(asio::io_context& io, Run& run, bool stalled);
  tcp::socket socket;  ///< until the stream is open; then `fd` belongs to the poller
  int fd = -1;
  Run& run;
  bool stalled;
  bool streaming = false;
  bool closed = false;
  std::vector<bool> seen;
  std::uint64_t received = 0;
  std::uint64_t duplicates = 0;
  SseFrameParser parser;
};

struct Run {
  BenchOptions options;
  asio::io_context io;
  std::vector<std::unique_ptr<Subscriber>> subscribers;
  std::uint32_t connected = 0;
  std::uint32_t connect_failures = 0;
  std::string first_connect_error;
  std::uint32_t streams_lost = 0;

  // Publishing.
  std::vector<std::int64_t> sent_ns;     ///< by sequence number; 0 = not (yet) sent
  std::vector<std::uint32_t> remaining;  ///< --until delivered: subscribers still to receive
  std::uint64_t next_seq = 0;
  std::uint64_t published = 0;
  std::uint64_t publish_errors = 0;
  std::string first_publish_error;
  std::int64_t start_ns = 0;
  std::int64_t mid_ns = 0;
  std::int64_t end_ns = 0;  ///< planned end of the publish window
  std::int64_t now = 0;     ///< time of the read being parsed
  LatencyRecorder lag;      ///< publish send lag behind schedule
  std::unique_ptr<asio::steady_timer> delivered_signal;
  std::unique_ptr<StreamPoller> poller;

  // Deliveries.
  std::uint64_t deliveries = 0;
  std::uint64_t deliveries_in_window = 0;
  std::uint64_t unknown_seq = 0;
  std::uint64_t reads = 0;  ///< stream reads that returned bytes: deliveries/reads = batching
  LatencyRecorder latency, first_half, second_half;

  std::uint32_t readers() const { return options.subscribers; }
  void on_event(Subscriber& sub, const SseEvent& event);
};

Subscriber::Subscriber(asio::io_context& io, Run& r, bool is_stalled)
    : socket(io),
      run(r),
      stalled(is_stalled),
      parser([this](const SseEvent& event) { run.on_event(*this, event); }) {}

void Run::on_event(Subscriber& sub, const SseEvent& event) {
  const auto seq = find_sequence_number(event.data);
  if (!seq) return;  // connected, heartbeat and other relay events
  if (*seq >= sent_ns.size() || sent_ns[*seq] == 0) {
    ++unknown_seq;
    return;
  }
  if (sub.seen.size() <= *seq)
    sub.seen.resize(std::max<std::size_t>(*seq + 1, sub.seen.size() * 2));
  if (sub.seen[*seq]) {
    ++sub.duplicates;
    return;
  }
  sub.seen[*seq] = true;
  ++sub.received;
  ++deliveries;
  if (now <= end_ns) ++deliveries_in_window;
  const auto sent = sent_ns[*seq];
  const auto micros =
      static_cast<std::uint32_t>(std::clamp<std::int64_t>((now - sent) / 1000, 0, UINT32_MAX));
  latency.record_us(micros);
  (sent < mid_ns ? first_half : second_half).record_us(micros);
  if (!remaining.empty() && --remaining[*seq] == 0 && delivered_signal) delivered_signal->cancel();
}

std::string stream_request(const BenchOptions& o) {
  return fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}:{}\r\nAccept: text/event-stream\r\nCache-Control: "
      "no-cache\r\n\r\n",
      o.sub_path, o.host, o.port);
}

// Reads a stream's response head; what follows it in the buffer is the first stream bytes.
awaitable<std::string> open_stream(Subscriber& sub, const tcp::endpoint& endpoint,
                                   const std::string& request) {
  if (sub.stalled) {
    // A small receive buffer makes the server's side fill up soon, like a stuck browser.
    sub.socket.open(endpoint.protocol());
    sub.socket.set_option(asio::socket_base::receive_buffer_size(4096));
  }
  auto [cec] = co_await sub.socket.async_connect(endpoint, use_tuple);
  if (cec) co_return "connect: " + cec.message();
  auto [wec, wn] = co_await asio::async_write(sub.socket, asio::buffer(request), use_tuple);
  if (wec) co_return "write: " + wec.message();
  std::string head;
  auto [rec, header_end] = co_await asio::async_read_until(sub.socket, asio::dynamic_buffer(head),
                                                           "\r\n\r\n", use_tuple);
  if (rec) co_return "reading the response head: " + rec.message();
  if (head.rfind("HTTP/1.1 200", 0) != 0 && head.rfind("HTTP/1.0 200", 0) != 0) {
    co_return "stream answered " + head.substr(0, head.find('\r'));
  }
  std::string lower = head.substr(0, header_end);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower.find("transfer-encoding: chunked") != std::string::npos) {
    co_return "stream is chunked; configure the server to send it close-delimited";
  }
  sub.streaming = true;
  sub.parser.feed(std::string_view(head).substr(header_end));
  co_return "";
}

// Reads every open stream. Syscalls cost a microsecond or more in this VM, so the hot path
// avoids Asio's per-read pattern (a speculative recv that mostly fails, then the reactor,
// then the recv): streams sit in an epoll set of our own, level-triggered, and each ready
// stream costs one recv. The set's descriptor is itself waited on by the io_context, so
// publishers and timers share the one thread.
class StreamPoller {
 public:
  explicit StreamPoller(asio::io_context& io)
      : io_(io),
        epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
        descriptor_(io, dup(epoll_fd_)),
        events_(1024),
        buffer_(256 * 1024) {
    if (epoll_fd_ < 0) throw std::runtime_error("epoll_create1 failed");
  }
  StreamPoller(const StreamPoller&) = delete;
  StreamPoller& operator=(const StreamPoller&) = delete;
  ~StreamPoller() { ::close(epoll_fd_); }

  void add(Subscriber& sub) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &sub;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, sub.fd, &event) != 0) {
      throw std::runtime_error("epoll_ctl failed");
    }
    if (!armed_) arm();
  }

 private:
  void arm() {
    armed_ = true;
    descriptor_.async_wait(asio::posix::stream_descriptor::wait_read,
                           [this](const boost::system::error_code& ec) {
                             armed_ = false;
                             if (!ec) poll_once();
                           });
  }

  void poll_once() {
    const int ready = epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()), 0);
    if (ready > 0) {
      const auto now = now_ns();
      for (int i = 0; i < ready; ++i)
        read_from(*static_cast<Subscriber*>(events_[i].data.ptr), now);
      // More may be ready: look again after the publishers and timers had their turn.
      asio::post(io_, [this] { poll_once(); });
    } else {
      arm();
    }
  }

  void read_from(Subscriber& sub, std::int64_t now) {
    const auto n = ::recv(sub.fd, buffer_.data(), buffer_.size(), 0);
    if (n > 0) {
      ++sub.run.reads;
      sub.run.now = now;
      sub.parser.feed(std::string_view(buffer_.data(), static_cast<std::size_t>(n)));
      return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, sub.fd, nullptr);
    if (!sub.closed) ++sub.run.streams_lost;
    sub.closed = true;
  }

  asio::io_context& io_;
  int epoll_fd_;
  asio::posix::stream_descriptor descriptor_;
  std::vector<epoll_event> events_;
  std::vector<char> buffer_;
  bool armed_ = false;
};

// Opens subscribers until none are left; `concurrency` of these run at once (the ramp).
awaitable<void> connector(Run& run, tcp::endpoint endpoint, std::size_t& next) {
  const auto request = stream_request(run.options);
  while (next < run.subscribers.size()) {
    auto& sub = *run.subscribers[next++];
    auto error = co_await open_stream(sub, endpoint, request);
    if (!error.empty()) {
      if (run.first_connect_error.empty()) run.first_connect_error = error;
      ++run.connect_failures;
      continue;
    }
    ++run.connected;
    if (!sub.stalled) {
      sub.fd = sub.socket.release();
      run.poller->add(sub);
    }
  }
}

std::string publish_body(const BenchOptions& o, std::uint64_t seq, const std::string& pad) {
  if (o.target == "nchan") return fmt::format(R"({{"seq":{},"pad":"{}"}})", seq, pad);
  return fmt::format(R"({{"type":"bench.tick","data":{{"seq":{},"pad":"{}"}}}})", seq, pad);
}

awaitable<void> sleep_until_ns(asio::steady_timer& timer, std::int64_t when) {
  timer.expires_at(Clock::time_point(std::chrono::nanoseconds(when)));
  co_await timer.async_wait(use_tuple);
}

// One keep-alive publish connection. Fixed rate: claims the next sequence number, sleeps
// until its slot, sends. Closed loop: sends as soon as the previous event is answered
// (or, with --until delivered, received by every subscriber).
awaitable<void> publisher(Run& run, tcp::endpoint endpoint) {
  const auto& o = run.options;
  tcp::socket socket(run.io);
  if (auto [ec] = co_await socket.async_connect(endpoint, use_tuple); ec) {
    ++run.publish_errors;
    if (run.first_publish_error.empty()) run.first_publish_error = "connect: " + ec.message();
    co_return;
  }
  socket.set_option(tcp::no_delay(true));
  // Pad so the event data is about --payload bytes.
  const std::string pad(o.payload > 30 ? o.payload - 30 : 1, 'x');
  asio::steady_timer timer(run.io);
  // Connected before the window opens, so its first events are not late by a handshake.
  co_await sleep_until_ns(timer, run.start_ns);
  beast::flat_buffer buffer;
  const auto period_ns = o.rate > 0 ? static_cast<std::int64_t>(1e9 / o.rate) : 0;
  for (;;) {
    const auto seq = run.next_seq;
    std::int64_t due = 0;
    if (o.rate > 0) {
      due = run.start_ns + static_cast<std::int64_t>(seq) * period_ns;
      if (due >= run.end_ns) break;
      ++run.next_seq;
      if (run.sent_ns.size() <= seq) run.sent_ns.resize(seq + 1, 0);
      if (due > now_ns()) co_await sleep_until_ns(timer, due);
    } else {
      if (now_ns() >= run.end_ns) break;
      ++run.next_seq;
      if (run.sent_ns.size() <= seq) run.sent_ns.resize(seq + 1, 0);
    }
    if (o.until == Until::delivered) {
      if (run.remaining.size() <= seq) run.remaining.resize(seq + 1, 0);
      run.remaining[seq] = run.readers();
    }
    http::request<http::string_body> req{http::verb::post, o.pub_path, 11};
    req.set(http::field::host, fmt::format("{}:{}", o.host, o.port));
    req.set(http::field::content_type, "application/json");
    if (!o.token.empty()) req.set(http::field::authorization, "Bearer " + o.token);
    req.body() = publish_body(o, seq, pad);
    req.prepare_payload();
    const auto sent = now_ns();
    run.sent_ns[seq] = sent;
    if (o.rate > 0)
      run.lag.record_us(static_cast<std::uint32_t>(std::max<std::int64_t>(0, sent - due) / 1000));
    auto [wec, wn] = co_await http::async_write(socket, req, use_tuple);
    http::response<http::string_body> res;
    beast::error_code rec = wec;
    if (!wec)
      std::tie(rec, std::ignore) = co_await http::async_read(socket, buffer, res, use_tuple);
    if (rec || res.result_int() / 100 != 2) {
      ++run.publish_errors;
      if (run.first_publish_error.empty()) {
        run.first_publish_error =
            rec ? rec.message() : fmt::format("{} {}", res.result_int(), res.body());
      }
      run.sent_ns[seq] = 0;  // not accepted: no subscriber owes it
      if (rec) co_return;
      continue;
    }
    ++run.published;
    if (o.until == Until::delivered && run.readers() > 0 && run.remaining[seq] > 0) {
      run.delivered_signal = std::make_unique<asio::steady_timer>(run.io);
      run.delivered_signal->expires_at(Clock::time_point(
          std::chrono::nanoseconds(now_ns() + static_cast<std::int64_t>(o.drain_s * 1e9))));
      co_await run.delivered_signal->async_wait(use_tuple);
      run.delivered_signal.reset();
    }
  }
}

struct Report {
  ProcSample before, connected, at_start, at_end;
  double own_cpu_start = 0, own_cpu_end = 0;
  double window_s = 0;
};

std::string json_number(double v) { return fmt::format("{:.3f}", v); }

void print_report(Run& run, const Report& r) {
  const auto& o = run.options;
  const auto lat = run.latency.summarize();
  const auto first = run.first_half.summarize();
  const auto second = run.second_half.summarize();
  const auto lag = run.lag.summarize();
  const std::uint64_t expected = run.published * run.readers();
  const std::uint64_t missing = expected > run.deliveries ? expected - run.deliveries : 0;
  std::uint64_t duplicates = 0;
  for (const auto& sub : run.subscribers) duplicates += sub->duplicates;
  const double window = std::max(r.window_s, 1e-9);
  const double server_cpu = r.at_end.cpu_seconds - r.at_start.cpu_seconds;
  const double own_cpu = r.own_cpu_end - r.own_cpu_start;
  const double rss_per_sub =
      run.connected > 0 && r.connected.rss_bytes > r.before.rss_bytes
          ? static_cast<double>(r.connected.rss_bytes - r.before.rss_bytes) / run.connected
          : 0;
  const std::uint64_t scheduled =
      o.rate > 0 ? static_cast<std::uint64_t>(o.rate * o.duration_s + 0.5) : run.published;
  const bool on_schedule = o.rate > 0 && run.published + run.publish_errors >= scheduled &&
                           lag.p99_ms <= 50 && run.publish_errors == 0;
  const bool steady = second.p99_ms <= 2 * first.p99_ms + 50;
  const bool sustained = on_schedule && missing == 0 && duplicates == 0 && steady &&
                         run.connect_failures == 0 && run.streams_lost == 0;
  if (o.json) {
    fmt::print(
        "{{\"label\":\"{}\",\"target\":\"{}\",\"subscribers\":{},\"stalled\":{},"
        "\"connected\":{},\"connect_failures\":{},\"streams_lost\":{},\"rate\":{},"
        "\"window\":{},\"duration_s\":{},\"published\":{},\"publish_errors\":{},"
        "\"publishes_per_s\":{},\"deliveries\":{},\"deliveries_per_s\":{},\"missing\":{},"
        "\"duplicates\":{},\"latency_ms\":{{\"p50\":{},\"p90\":{},\"p99\":{},\"p999\":{},"
        "\"max\":{}}},\"p99_first_half_ms\":{},\"p99_second_half_ms\":{},"
        "\"publish_lag_p99_ms\":{},\"on_schedule\":{},\"sustained\":{},"
        "\"server_cpu_s\":{},\"server_cpu_pct\":{},\"server_us_per_delivery\":{},"
        "\"server_rss_before\":{},\"server_rss_connected\":{},\"server_rss_end\":{},"
        "\"rss_per_subscriber\":{},\"client_cpu_pct\":{},\"deliveries_per_read\":{}",
        o.label, o.target, o.subscribers, o.stalled, run.connected, run.connect_failures,
        run.streams_lost, json_number(o.rate), o.window, json_number(r.window_s), run.published,
        run.publish_errors, json_number(run.published / window), run.deliveries,
        json_number(run.deliveries_in_window / window), missing, duplicates,
        json_number(lat.p50_ms), json_number(lat.p90_ms), json_number(lat.p99_ms),
        json_number(lat.p999_ms), json_number(lat.max_ms), json_number(first.p99_ms),
        json_number(second.p99_ms), json_number(lag.p99_ms), on_schedule, sustained,
        json_number(server_cpu), json_number(100 * server_cpu / window),
        json_number(run.deliveries ? 1e6 * server_cpu / run.deliveries : 0), r.before.rss_bytes,
        r.connected.rss_bytes, r.at_end.rss_bytes, json_number(rss_per_sub),
        json_number(100 * own_cpu / window),
        json_number(run.reads ? static_cast<double>(run.deliveries) / run.reads : 0));
    if (!run.first_connect_error.empty())
      fmt::print(",\"connect_error\":\"{}\"", run.first_connect_error);
    if (!run.first_publish_error.empty())
      fmt::print(",\"publish_error\":\"{}\"", run.first_publish_error);
    fmt::print("}}\n");
    return;
  }
  fmt::print("{} ({}): {} subscribers (+{} stalled), {} connected, {} failed{}\n", o.label,
             o.target, o.subscribers, o.stalled, run.connected, run.connect_failures,
             run.first_connect_error.empty() ? "" : " (" + run.first_connect_error + ")");
  if (o.duration_s > 0) {
    fmt::print("  published {} in {:.2f} s = {:.0f}/s ({} errors{})\n", run.published, window,
               run.published / window, run.publish_errors,
               run.first_publish_error.empty() ? "" : ": " + run.first_publish_error);
    fmt::print(
        "  deliveries {} = {:.0f}/s in the window, missing {}, duplicates {}, lost streams {}\n",
        run.deliveries, run.deliveries_in_window / window, missing, duplicates, run.streams_lost);
    fmt::print(
        "  latency ms p50 {:.2f} p90 {:.2f} p99 {:.2f} p99.9 {:.2f} max {:.2f} "
        "(p99 halves {:.2f} / {:.2f})\n",
        lat.p50_ms, lat.p90_ms, lat.p99_ms, lat.p999_ms, lat.max_ms, first.p99_ms, second.p99_ms);
    if (o.rate > 0) {
      fmt::print("  publisher lag p99 {:.2f} ms; on schedule: {}; sustained: {}\n", lag.p99_ms,
                 on_schedule, sustained);
    }
    fmt::print(
        "  server CPU {:.1f} % ({:.2f} us/delivery), client CPU {:.1f} %, {:.1f} deliveries/read\n",
        100 * server_cpu / window, run.deliveries ? 1e6 * server_cpu / run.deliveries : 0,
        100 * own_cpu / window, run.reads ? static_cast<double>(run.deliveries) / run.reads : 0);
  }
  fmt::print(
      "  server RSS before {:.1f} MiB, connected {:.1f} MiB ({:.0f} B/subscriber), end {:.1f} "
      "MiB\n",
      r.before.rss_bytes / 1048576.0, r.connected.rss_bytes / 1048576.0, rss_per_sub,
      r.at_end.rss_bytes / 1048576.0);
}

awaitable<void> drive(Run& run, Report& report, tcp::endpoint endpoint) {
  const auto& o = run.options;
  asio::steady_timer timer(run.io);
  auto sample = [&] { return o.server_pid ? sample_process_tree(o.server_pid) : ProcSample{}; };
  report.before = sample();

  // Ramp: stalled subscribers first so they are in place before any event.
  for (std::uint32_t i = 0; i < o.stalled; ++i)
    run.subscribers.push_back(std::make_unique<Subscriber>(run.io, run, true));
  for (std::uint32_t i = 0; i < o.subscribers; ++i)
    run.subscribers.push_back(std::make_unique<Subscriber>(run.io, run, false));
  std::size_t next = 0;
  std::uint32_t connectors_done = 0;
  const auto connectors = std::min<std::uint32_t>(o.connect_concurrency, o.subscribers + o.stalled);
  for (std::uint32_t i = 0; i < connectors; ++i) {
    asio::co_spawn(run.io, connector(run, endpoint, next), [&](const std::exception_ptr&) {
      ++connectors_done;
      timer.cancel();
    });
  }
  const auto ramp_deadline = now_ns() + 120'000'000'000;
  while (connectors_done < connectors && now_ns() < ramp_deadline) {
    co_await sleep_until_ns(timer, ramp_deadline);
  }
  // Let the server finish the connects' bookkeeping before sampling.
  co_await sleep_until_ns(
      timer, now_ns() + static_cast<std::int64_t>((o.duration_s > 0 ? 0.3 : o.hold_s) * 1e9));
  report.connected = sample();

  if (o.duration_s > 0) {
    run.start_ns = now_ns() + 50'000'000;
    run.end_ns = run.start_ns + static_cast<std::int64_t>(o.duration_s * 1e9);
    run.mid_ns = run.start_ns + (run.end_ns - run.start_ns) / 2;
    const auto connections = o.rate > 0 ? o.publishers : o.window;
    if (o.rate > 0) {
      const auto expected = static_cast<std::size_t>(
          std::min(5e7, o.rate * o.duration_s * 1.05 * static_cast<double>(o.subscribers)));
      run.latency.reserve(expected);
      run.first_half.reserve(expected / 2 + 1024);
      run.second_half.reserve(expected / 2 + 1024);
      run.sent_ns.reserve(static_cast<std::size_t>(o.rate * o.duration_s * 1.05) + 16);
      run.lag.reserve(static_cast<std::size_t>(o.rate * o.duration_s * 1.05) + 16);
    }
    std::uint32_t publishers_done = 0;
    for (std::uint32_t i = 0; i < connections; ++i) {
      asio::co_spawn(run.io, publisher(run, endpoint), [&](const std::exception_ptr&) {
        ++publishers_done;
        timer.cancel();
      });
    }
    co_await sleep_until_ns(timer, run.start_ns);
    report.at_start = sample();
    report.own_cpu_start = own_cpu_seconds();
    const auto hard_end = run.end_ns + 60'000'000'000;
    while (publishers_done < connections && now_ns() < hard_end)
      co_await sleep_until_ns(timer, hard_end);
    report.window_s = static_cast<double>(std::max(now_ns(), run.end_ns) - run.start_ns) / 1e9;
    report.at_end = sample();
    report.own_cpu_end = own_cpu_seconds();
    // Late deliveries still count toward "missing" (not toward the window's rate).
    const auto drain_end = now_ns() + static_cast<std::int64_t>(o.drain_s * 1e9);
    while (run.deliveries < run.published * run.readers() && now_ns() < drain_end) {
      co_await sleep_until_ns(timer, std::min(drain_end, now_ns() + 20'000'000));
    }
  } else {
    report.at_start = report.at_end = report.connected;
  }
  // RST instead of FIN: no TIME_WAIT left to exhaust loopback ports for the next run.
  const linger reset{1, 0};
  for (auto& sub : run.subscribers) {
    sub->closed = true;
    beast::error_code ignored;
    sub->socket.set_option(asio::socket_base::linger(true, 0), ignored);
    sub->socket.close(ignored);
    if (sub->fd >= 0) {
      setsockopt(sub->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      ::close(sub->fd);
    }
  }
  run.io.stop();
}

}  // namespace
}  // namespace relay::bench

int main(int argc, char** argv) {
  using namespace relay::bench;
  auto parsed = parse_bench_options(std::vector<std::string>(argv + 1, argv + argc));
  if (auto* message = std::get_if<std::string>(&parsed)) {
    const bool help = message->rfind("usage:", 0) == 0;
    (help ? std::cout : std::cerr) << *message << (message->back() == '\n' ? "" : "\n");
    return help ? 0 : 2;
  }
  Run run;
  run.options = std::get<BenchOptions>(parsed);
  run.poller = std::make_unique<StreamPoller>(run.io);
  Report report;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(
      run.options.host == "localhost" ? "127.0.0.1" : run.options.host, ec);
  if (ec) {
    std::cerr << "--host " << run.options.host << ": not an IP address\n";
    return 2;
  }
  const tcp::endpoint endpoint(address, run.options.port);
  boost::asio::co_spawn(run.io, drive(run, report, endpoint), [](const std::exception_ptr& e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::cerr << "sse-bench: " << ex.what() << "\n";
      std::exit(1);
    }
  });
  run.io.run();
  print_report(run, report);
  const bool failed = run.connect_failures > 0 || run.publish_errors > 0;
  return failed ? 1 : 0;
}
