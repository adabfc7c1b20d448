#include "service/logger.hpp"

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
          if constexpr (std::is_same_v<V, std::string_view>)
            w.string(f.key, v);
          else if constexpr (std::is_same_v<V, std::int64_t>)
            w.number(f.key, v);
          else
            w.unsigned_number(f.key, v);
        },
        f.value);
  }
  w.close();
  line.push_back('\n');
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), sink_);
  std::fflush(sink_);
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
