// libFuzzer target: the client address behind trusted proxies, from attacker-written
// Forwarded and X-Forwarded-For headers. Invariants: never crashes, and the answer is
// always an IP address (never header text).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "infra/http/client_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  static const auto proxies = std::get<relay::infra::TrustedProxies>(
      relay::infra::TrustedProxies::parse({"127.0.0.0/8", "10.0.0.0/8", "::1"}));
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  const auto split = input.find('\n');
  relay::infra::Request req{boost::beast::http::verb::get, "/", 11};
  // Header values cannot hold CR or LF; Beast would refuse them before we saw them.
  auto clean = [](std::string_view v) {
    std::string out(v);
    for (auto& c : out) {
      if (c == '\r' || c == '\n' || c == '\0') c = ' ';
    }
    return out;
  };
  req.insert("Forwarded", clean(input.substr(0, split)));
  if (split != std::string_view::npos) req.insert("X-Forwarded-For", clean(input.substr(split + 1)));
  const auto peer = boost::asio::ip::make_address("10.1.2.3");
  const auto client = relay::infra::client_address(peer, req, proxies);
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(client, ec);
  if (ec) std::abort();
  return 0;
}
