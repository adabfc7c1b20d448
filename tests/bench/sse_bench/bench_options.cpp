#include "bench_options.hpp"

#include <charconv>
#include <functional>
#include <map>

#include <fmt/format.h>

namespace relay::bench {

namespace {

template <class T>
std::optional<T> number(const std::string& text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

std::string bench_usage() {
  return "usage: sse-bench [options]\n"
         "  --host H                 loopback address of the server (127.0.0.1)\n"
         "  --port P                 server port (8080)\n"
         "  --target relay|nchan     paths and body shape (relay)\n"
         "  --sub-path / --pub-path  override the stream and publish paths\n"
         "  --token T                Bearer token for publishing\n"
         "  --subscribers N          reading subscribers (100)\n"
         "  --stalled K              extra subscribers that never read (0)\n"
         "  --connect-concurrency C  connects in flight during the ramp (256)\n"
         "  --publishers M           keep-alive publish connections (32)\n"
         "  --rate R                 events/s on a fixed schedule; 0 = closed loop (0)\n"
         "  --window W               closed loop: events outstanding (1)\n"
         "  --until accepted|delivered  closed loop: outstanding until the publish answer,\n"
         "                           or until every subscriber received it (accepted)\n"
         "  --duration S             publish window in seconds; 0 = idle run (5)\n"
         "  --hold S                 idle run: settle before sampling memory (2)\n"
         "  --drain S                wait for late deliveries after the window (5)\n"
         "  --payload B              bytes of event data (100)\n"
         "  --server-pid PID         sample this process and its children from /proc\n"
         "  --label L                name of the run in the report\n"
         "  --json                   print the report as one JSON object\n";
}

std::variant<BenchOptions, std::string> parse_bench_options(const std::vector<std::string>& args) {
  BenchOptions o;
  using Setter = std::function<std::optional<std::string>(const std::string&)>;
  auto unsigned_into = [](auto& field, std::uint64_t min, std::uint64_t max) {
    return Setter([&field, min, max](const std::string& v) -> std::optional<std::string> {
      auto n = number<std::uint64_t>(v);
      if (!n || *n < min || *n > max)
        return fmt::format("must be an integer in [{}, {}]", min, max);
      field = static_cast<std::remove_reference_t<decltype(field)>>(*n);
      return std::nullopt;
    });
  };
  auto seconds_into = [](double& field) {
    return Setter([&field](const std::string& v) -> std::optional<std::string> {
      auto n = number<double>(v);
      if (!n || *n < 0 || *n > 3600) return "must be a number of seconds in [0, 3600]";
      field = *n;
      return std::nullopt;
    });
  };
  auto text_into = [](std::string& field) {
    return Setter([&field](const std::string& v) -> std::optional<std::string> {
      field = v;
      return std::nullopt;
    });
  };
  const std::map<std::string, Setter> setters = {
      {"--host", text_into(o.host)},
      {"--port", unsigned_into(o.port, 1, 65535)},
      {"--target", Setter([&o](const std::string& v) -> std::optional<std::string> {
         if (v != "relay" && v != "nchan") return "must be relay or nchan";
         o.target = v;
         return std::nullopt;
       })},
      {"--sub-path", text_into(o.sub_path)},
      {"--pub-path", text_into(o.pub_path)},
      {"--token", text_into(o.token)},
      {"--subscribers", unsigned_into(o.subscribers, 0, 100000)},
      {"--stalled", unsigned_into(o.stalled, 0, 100000)},
      {"--connect-concurrency", unsigned_into(o.connect_concurrency, 1, 10000)},
      {"--publishers", unsigned_into(o.publishers, 1, 1000)},
      {"--rate", Setter([&o](const std::string& v) -> std::optional<std::string> {
         auto n = number<double>(v);
         if (!n || *n < 0 || *n > 1e7) return "must be events per second in [0, 1e7]";
         o.rate = *n;
         return std::nullopt;
       })},
      {"--window", unsigned_into(o.window, 1, 10000)},
      {"--until", Setter([&o](const std::string& v) -> std::optional<std::string> {
         if (v == "accepted")
           o.until = Until::accepted;
         else if (v == "delivered")
           o.until = Until::delivered;
         else
           return "must be accepted or delivered";
         return std::nullopt;
       })},
      {"--duration", seconds_into(o.duration_s)},
      {"--hold", seconds_into(o.hold_s)},
      {"--drain", seconds_into(o.drain_s)},
      {"--payload", unsigned_into(o.payload, 16, 1 << 20)},
      {"--server-pid", unsigned_into(o.server_pid, 1, 1 << 30)},
      {"--label", text_into(o.label)},
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--json") {
      o.json = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") return bench_usage();
    auto it = setters.find(arg);
    if (it == setters.end()) return fmt::format("unknown option {}\n{}", arg, bench_usage());
    if (i + 1 >= args.size()) return fmt::format("{} needs a value", arg);
    if (auto error = it->second(args[++i])) return fmt::format("{}: {}", arg, *error);
  }
  if (!is_loopback(o.host)) return fmt::format("--host {}: only loopback addresses", o.host);
  if (o.sub_path.empty()) o.sub_path = o.target == "nchan" ? "/sub" : "/api/events/stream";
  if (o.pub_path.empty()) o.pub_path = o.target == "nchan" ? "/pub" : "/api/events";
  if (o.rate == 0 && o.until == Until::delivered && o.window != 1) {
    return "--until delivered needs --window 1";
  }
  return o;
}

}  // namespace relay::bench
