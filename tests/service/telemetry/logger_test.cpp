#include "service/telemetry/logger.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <future>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <simdjson.h>

using namespace relay::service;

namespace {
// Everything readable from `fd` right now (it is made non-blocking).
std::string read_available(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string out;
  char chunk[65536];
  for (;;) {
    const auto n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  return out;
}
}  // namespace

TEST_CASE("a long value is cut at a UTF-8 boundary and marked; the line stays valid JSON") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::FILE* sink = ::fdopen(fds[1], "w");
  {
    Logger logger(sink, LogLevel::info);
    std::string id(1023, 'x');
    id += "\xc3\xa9";  // a two-byte character across the cut
    id += std::string(14000, 'y');
    logger.info("subscriber resync", {{"last_event_id", id}});
  }
  const auto line = read_available(fds[0]);
  CHECK(line.size() < 1300);
  simdjson::dom::parser parser;
  auto doc = parser.parse(line);
  REQUIRE_FALSE(doc.error());
  const std::string_view value = doc["last_event_id"].get_string().value();
  CHECK(value.size() == 1023 + 16);
  CHECK(value.find_first_not_of('x') == 1023);  // the cut character is not half kept
  CHECK(value.substr(1023) == "...(15025 bytes)");
  std::fclose(sink);
  ::close(fds[0]);
}

TEST_CASE("a sink nobody reads never blocks logging: lines wait, then drop and are counted") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::FILE* sink = ::fdopen(fds[1], "w");
  auto logger = std::make_unique<Logger>(sink, LogLevel::info);
  const std::string pad(200, 'p');
  auto done = std::async(std::launch::async, [&] {
    for (int i = 0; i < 20000; ++i) logger->info("line", {{"n", i}, {"pad", pad}});
  });
  const bool finished = done.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  // Blocked: drain the pipe until it finishes, so the failure is reported, not hung.
  while (!finished && done.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready) {
    read_available(fds[0]);
  }
  CHECK(finished);
  CHECK(logger->dropped() > 0);
  // What was written or buffered comes out as whole lines once the reader drains the pipe
  // (a chunk in the pipe may end mid-line; the rest follows it).
  std::string out;
  for (int quiet = 0, i = 0; quiet < 3 && i < 1000; ++i) {
    const auto got = read_available(fds[0]);
    quiet = got.empty() ? quiet + 1 : 0;
    out += got;
    logger->flush(std::chrono::milliseconds(5));
  }
  // Drained: the sink takes lines at once again.
  logger->info("after", {});
  out += read_available(fds[0]);
  std::istringstream lines(out);
  std::string l;
  std::size_t count = 0;
  simdjson::dom::parser parser;
  while (std::getline(lines, l)) {
    CAPTURE(l.substr(0, 80));
    CHECK_FALSE(parser.parse(l).error());
    ++count;
  }
  CHECK(count + logger->dropped() == 20001);
  CHECK(out.ends_with("\"msg\":\"after\"}\n"));
  logger.reset();
  std::fclose(sink);
  ::close(fds[0]);
}

TEST_CASE("a LogJson value is nested as an object, not a string of escaped JSON") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::FILE* sink = ::fdopen(fds[1], "w");
  {
    Logger logger(sink, LogLevel::info);
    logger.warn("ingest rejected",
                {{"status", 503}, {"problem", LogJson{R"({"type":"t","status":503})"}}});
    // Too long to nest whole: cut as text (a cut object would not parse).
    const std::string huge = R"({"detail":")" + std::string(5000, 'z') + R"("})";
    logger.warn("big", {{"problem", LogJson{huge}}});
  }
  const auto out = read_available(fds[0]);
  const auto newline = out.find('\n');
  REQUIRE(newline != std::string::npos);
  simdjson::dom::parser parser;
  auto first = parser.parse(out.substr(0, newline));
  REQUIRE_FALSE(first.error());
  CHECK(first["problem"]["status"].get_int64().value() == 503);
  CHECK(std::string_view(first["problem"]["type"].get_string().value()) == "t");
  simdjson::dom::parser second_parser;
  auto second = second_parser.parse(out.substr(newline + 1));
  REQUIRE_FALSE(second.error());
  CHECK(second["problem"].is_string());
  std::fclose(sink);
  ::close(fds[0]);
}
