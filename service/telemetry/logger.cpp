#include "service/telemetry/logger.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include <fmt/format.h>

#include "proto/json_writer.hpp"
#include "proto/rfc3339.hpp"

namespace relay::service {

bool parse_log_level(std::string_view text, LogLevel& out) {
  if (text == "debug")
    out = LogLevel::debug;
  else if (text == "info")
    out = LogLevel::info;
  else if (text == "warn")
    out = LogLevel::warn;
  else if (text == "error")
    out = LogLevel::error;
  else
    return false;
  return true;
}

namespace {

// A value cut to `max` bytes at a UTF-8 boundary, marked so a reader knows it was cut.
std::string_view capped(std::string_view v, std::string& storage) {
  if (v.size() <= Logger::max_value_bytes) return v;
  auto cut = Logger::max_value_bytes;
  while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0U) == 0x80U) --cut;
  storage = fmt::format("{}...({} bytes)", v.substr(0, cut), v.size());
  return storage;
}

constexpr std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}
}  // namespace

Logger::Logger(std::FILE* sink, LogLevel level) : fd_(::fileno(sink)), level_(level) {
  // Lines written through stdio before this logger existed must not come after its own.
  std::fflush(sink);
}

Logger::~Logger() { flush(std::chrono::milliseconds(1000)); }

std::uint64_t Logger::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void Logger::drain_locked() {
  while (!pending_.empty()) {
    // A pipe that reports writable has room for at least PIPE_BUF bytes, and a write of at
    // most that much then never blocks; files and terminals are always writable.
    pollfd pfd{fd_, POLLOUT, 0};
    if (::poll(&pfd, 1, 0) <= 0 || (pfd.revents & (POLLERR | POLLNVAL)) != 0) return;
    if ((pfd.revents & POLLHUP) != 0) {
      pending_.clear();  // nobody will read it
      return;
    }
    const auto n = ::write(fd_, pending_.data(), std::min<std::size_t>(pending_.size(), PIPE_BUF));
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN and the like: later
    }
    pending_.erase(0, static_cast<std::size_t>(n));
  }
}

void Logger::flush(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::lock_guard lock(mutex_);
  for (;;) {
    drain_locked();
    const auto left = deadline - std::chrono::steady_clock::now();
    if (pending_.empty() || left <= std::chrono::milliseconds(0)) return;
    pollfd pfd{fd_, POLLOUT, 0};
    ::poll(&pfd, 1, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count()));
  }
}

void Logger::log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields,
                 std::string_view trace_id) {
  if (!enabled(level)) return;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string line;
  proto::JsonObjectWriter w(line);
  w.string("time", proto::format_rfc3339_ms(static_cast<std::uint64_t>(now_ms)))
      .string("level", level_name(level))
      .string("msg", msg);
  if (!trace_id.empty()) w.string("trace_id", trace_id);
  for (const auto& f : fields) {
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string_view>) {
            std::string storage;
            w.string(f.key, capped(v, storage));
          } else if constexpr (std::is_same_v<V, LogJson>) {
            // Nested as an object; one too long to keep whole is cut as text instead (a cut
            // object would not parse).
            if (v.text.size() <= max_json_bytes && !v.text.empty()) {
              w.raw(f.key, v.text);
            } else {
              std::string storage;
              w.string(f.key, capped(v.text, storage));
            }
          } else if constexpr (std::is_same_v<V, std::int64_t>)
            w.number(f.key, v);
          else
            w.unsigned_number(f.key, v);
        },
        f.value);
  }
  w.close();
  line.push_back('\n');
  std::lock_guard lock(mutex_);
  if (pending_.size() + line.size() > max_pending_bytes) {
    drain_locked();
    if (pending_.size() + line.size() > max_pending_bytes) {
      ++dropped_;  // the sink is stalled: losing a line beats stalling every client
      return;
    }
  }
  pending_ += line;
  drain_locked();
}

void log_failure(Logger& logger, std::string_view what, const std::exception_ptr& e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    logger.error("coroutine failed", {{"coroutine", what}, {"error", ex.what()}});
  } catch (...) {
    logger.error("coroutine failed", {{"coroutine", what}, {"error", "unknown exception"}});
  }
}

}  // namespace relay::service
