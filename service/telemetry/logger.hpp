#pragma once
// Structured logs: one JSON object per line (time, level, msg, trace_id, fields) on stdout.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>

namespace relay::service {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

/// "debug" | "info" | "warn" | "error" -> level; nullopt-like false when unknown.
bool parse_log_level(std::string_view text, LogLevel& out);

/// A value that is JSON text already (a problem+json body, a modes object): written into the
/// line as a nested object, not as a string holding escaped JSON. Only for JSON the relay
/// wrote itself.
struct LogJson {
  std::string_view text;
};

/// One key/value of a log line.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, std::int64_t v) : key(k), value(v) {}
  LogField(std::string_view k, std::uint64_t v) : key(k), value(v) {}
  LogField(std::string_view k, int v) : key(k), value(static_cast<std::int64_t>(v)) {}
  LogField(std::string_view k, unsigned v) : key(k), value(static_cast<std::uint64_t>(v)) {}
  LogField(std::string_view k, LogJson v) : key(k), value(v) {}
  std::string_view key;
  std::variant<std::string_view, std::int64_t, std::uint64_t, LogJson> value;
};

/// Writes JSON lines to a stdio stream's descriptor. Safe to call from any thread (the sink
/// is locked). Never blocks the event loop on a slow reader: a line goes out only while the
/// descriptor can take it without waiting; otherwise it waits in a bounded buffer, and lines
/// that do not fit are dropped and counted. Each string value is cut to `max_value_bytes`.
class Logger {
 public:
  static constexpr std::size_t max_value_bytes = 1024;
  static constexpr std::size_t max_json_bytes = 4096;  ///< A LogJson value nested whole.
  static constexpr std::size_t max_pending_bytes = 1024UL * 1024;

  explicit Logger(std::FILE* sink = stdout, LogLevel level = LogLevel::info);
  /// Gives the buffered lines up to a second to leave.
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  /// `trace_id`: the trace of the span this line is logged in (hex); omitted when empty.
  void log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {},
           std::string_view trace_id = {});
  void debug(std::string_view m, std::initializer_list<LogField> f = {}, std::string_view t = {}) {
    log(LogLevel::debug, m, f, t);
  }
  void info(std::string_view m, std::initializer_list<LogField> f = {}, std::string_view t = {}) {
    log(LogLevel::info, m, f, t);
  }
  void warn(std::string_view m, std::initializer_list<LogField> f = {}, std::string_view t = {}) {
    log(LogLevel::warn, m, f, t);
  }
  void error(std::string_view m, std::initializer_list<LogField> f = {}, std::string_view t = {}) {
    log(LogLevel::error, m, f, t);
  }

  [[nodiscard]] bool enabled(LogLevel level) const { return level >= level_; }

  /// Lines dropped because the sink did not drain and the buffer was full.
  [[nodiscard]] std::uint64_t dropped() const;

  /// Writes what is buffered, waiting at most `wait` for the sink (stop, tests).
  void flush(std::chrono::milliseconds wait);

 private:
  /// Writes buffered bytes while the descriptor takes them without blocking.
  void drain_locked();

  int fd_;
  LogLevel level_;
  mutable std::mutex mutex_;
  std::string pending_;
  std::uint64_t dropped_ = 0;
};

/// Logs, once and with its cause, the exception a coroutine ended with (the completion
/// handler every co_spawn gets); does nothing for a null pointer.
void log_failure(Logger& logger, std::string_view what, const std::exception_ptr& e);

}  // namespace relay::service
