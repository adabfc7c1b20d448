#include "infra/http/client_address.hpp"

#include <doctest/doctest.h>

using relay::infra::client_address;
using relay::infra::Request;
using relay::infra::TrustedProxies;
namespace ip = boost::asio::ip;
namespace http = boost::beast::http;

namespace {
TrustedProxies proxies(std::vector<std::string> entries) {
  auto parsed = TrustedProxies::parse(entries);
  REQUIRE(std::holds_alternative<TrustedProxies>(parsed));
  return std::get<TrustedProxies>(parsed);
}
Request with(std::vector<std::pair<std::string, std::string>> headers) {
  Request req{http::verb::get, "/", 11};
  for (auto& [name, value] : headers) req.insert(name, value);
  return req;
}
const auto balancer = ip::make_address("10.0.0.5");
}  // namespace

TEST_CASE("forwarding headers from a peer that is not a trusted proxy are ignored") {
  const auto req = with({{"X-Forwarded-For", "203.0.113.9"}, {"Forwarded", "for=198.51.100.1"}});
  CHECK(client_address(balancer, req, TrustedProxies{}) == "10.0.0.5");
  CHECK(client_address(balancer, req, proxies({"10.1.0.0/16"})) == "10.0.0.5");
}

TEST_CASE("behind a trusted proxy the client is the nearest untrusted hop, read right to left") {
  const auto trusted = proxies({"10.0.0.0/24", "192.0.2.7"});
  // A client may put anything on the left; only what the trusted hops appended counts.
  CHECK(client_address(balancer, with({{"X-Forwarded-For", "1.2.3.4, 203.0.113.9"}}), trusted) ==
        "203.0.113.9");
  CHECK(client_address(balancer, with({{"X-Forwarded-For", "203.0.113.9, 192.0.2.7"}}), trusted) ==
        "203.0.113.9");
  // Several header lines are one list.
  CHECK(client_address(balancer,
                       with({{"X-Forwarded-For", "203.0.113.9"}, {"X-Forwarded-For", "10.0.0.8"}}),
                       trusted) == "203.0.113.9");
  // Every hop trusted: the farthest one is all we know.
  CHECK(client_address(balancer, with({{"X-Forwarded-For", "10.0.0.9, 10.0.0.8"}}), trusted) ==
        "10.0.0.9");
  // No header: the proxy itself.
  CHECK(client_address(balancer, with({}), trusted) == "10.0.0.5");
}

TEST_CASE("Forwarded (RFC 7239) wins over X-Forwarded-For; ports, brackets and quotes are read") {
  const auto trusted = proxies({"10.0.0.5"});
  CHECK(client_address(balancer,
                       with({{"Forwarded", "for=198.51.100.1;proto=https"},
                             {"X-Forwarded-For", "203.0.113.9"}}),
                       trusted) == "198.51.100.1");
  CHECK(client_address(balancer, with({{"Forwarded", "for=\"[2001:db8::1]:4711\""}}), trusted) ==
        "2001:db8::1");
  CHECK(client_address(balancer, with({{"Forwarded", "for=198.51.100.1:8080"}}), trusted) ==
        "198.51.100.1");
  CHECK(client_address(balancer, with({{"X-Forwarded-For", "::ffff:203.0.113.9"}}), trusted) ==
        "203.0.113.9");
}

TEST_CASE("an unreadable hop ends the walk at the nearest trusted address") {
  const auto trusted = proxies({"10.0.0.0/8"});
  CHECK(client_address(balancer, with({{"X-Forwarded-For", "203.0.113.9, unknown, 10.0.0.7"}}),
                       trusted) == "10.0.0.7");
  CHECK(client_address(balancer, with({{"Forwarded", "for=_hidden"}}), trusted) == "10.0.0.5");
  CHECK(client_address(balancer, with({{"X-Forwarded-For", std::string(5000, '9')}}), trusted) ==
        "10.0.0.5");
}

TEST_CASE("an IPv4-mapped peer is its IPv4 address, for the proxy check and the answer") {
  const auto mapped = ip::make_address("::ffff:127.0.0.1");
  CHECK(client_address(mapped, with({}), TrustedProxies{}) == "127.0.0.1");
  CHECK(client_address(mapped, with({{"X-Forwarded-For", "203.0.113.9"}}),
                       proxies({"127.0.0.1"})) == "203.0.113.9");
}

TEST_CASE("RELAY_TRUSTED_PROXIES entries must be addresses or networks") {
  CHECK(std::holds_alternative<TrustedProxies>(
      TrustedProxies::parse({"10.0.0.1", "10.1.0.0/16", "::1", "fd00::/8"})));
  const auto bad = TrustedProxies::parse({"10.0.0.1", "proxy.local"});
  REQUIRE(std::holds_alternative<std::string>(bad));
  CHECK(std::get<std::string>(bad) == "'proxy.local' is not an IP address or network");
  CHECK(std::holds_alternative<std::string>(TrustedProxies::parse({"10.0.0.0/33"})));
  // Host bits in a network are ignored, as ip(8) does: 10.0.0.1/8 is 10.0.0.0/8.
  const auto loose = TrustedProxies::parse({"10.0.0.1/8"});
  REQUIRE(std::holds_alternative<TrustedProxies>(loose));
  CHECK(std::get<TrustedProxies>(loose).contains(ip::make_address("10.200.1.1")));
  CHECK_FALSE(std::get<TrustedProxies>(loose).contains(ip::make_address("11.0.0.1")));
}
