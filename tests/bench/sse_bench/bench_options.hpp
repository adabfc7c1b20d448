#pragma once
// Command line of sse-bench; every option has a default that makes a small, valid run.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace relay::bench {

enum class Until { accepted, delivered };

struct BenchOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string target = "relay";  ///< relay | nchan: paths and body shape
  std::string sub_path;          ///< default per target
  std::string pub_path;          ///< default per target
  std::string token;
  std::uint32_t subscribers = 100;
  std::uint32_t stalled = 0;  ///< extra subscribers that never read
  std::uint32_t connect_concurrency = 256;
  std::uint32_t publishers = 32;
  double rate = 0;  ///< events/s; 0 = closed loop with `window` outstanding
  std::uint32_t window = 1;
  Until until = Until::accepted;
  double duration_s = 5;        ///< publish window; 0 = idle run (connect, hold, sample memory)
  double hold_s = 2;            ///< idle run: settle time before sampling
  double drain_s = 5;           ///< wait for late deliveries after the window
  std::uint32_t payload = 100;  ///< bytes of event data
  int server_pid = 0;
  std::string label;
  bool json = false;
};

/// Parsed options, or the message for a bad command line (exit 2).
std::variant<BenchOptions, std::string> parse_bench_options(const std::vector<std::string>& args);

std::string bench_usage();

}  // namespace relay::bench
