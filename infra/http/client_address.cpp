#include "infra/http/client_address.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include <fmt/format.h>

#include "infra/http/trim.hpp"

namespace relay::infra {

namespace ip = boost::asio::ip;
namespace http = boost::beast::http;

std::variant<TrustedProxies, std::string> TrustedProxies::parse(
    const std::vector<std::string>& entries) {
  TrustedProxies proxies;
  for (const auto& entry : entries) {
    boost::system::error_code ec;
    const auto slash = entry.find('/');
    const auto address = ip::make_address(entry.substr(0, slash), ec);
    if (ec) return fmt::format("'{}' is not an IP address or network", entry);
    if (slash == std::string::npos) {
      if (address.is_v4()) {
        proxies.v4_.emplace_back(address.to_v4(), 32);
      } else {
        proxies.v6_.emplace_back(address.to_v6(), 128);
      }
      continue;
    }
    if (address.is_v4()) {
      auto network = ip::make_network_v4(entry, ec);
      if (ec) return fmt::format("'{}' is not an IPv4 network (a.b.c.d/0-32)", entry);
      proxies.v4_.push_back(network);
    } else {
      auto network = ip::make_network_v6(entry, ec);
      if (ec) return fmt::format("'{}' is not an IPv6 network (addr/0-128)", entry);
      proxies.v6_.push_back(network);
    }
  }
  return proxies;
}

ip::address unmapped(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

bool TrustedProxies::contains(const ip::address& address) const {
  const auto plain = unmapped(address);
  if (plain.is_v4()) {
    const auto v4 = plain.to_v4();
    for (const auto& network : v4_) {
      if (ip::make_network_v4(v4, network.prefix_length()).network() == network.network()) {
        return true;
      }
    }
    return false;
  }
  const auto v6 = plain.to_v6();
  for (const auto& network : v6_) {
    if (ip::make_network_v6(v6, network.prefix_length()).network() == network.network()) {
      return true;
    }
  }
  return false;
}

namespace {

// One hop of a forwarding header: "203.0.113.7", "[2001:db8::1]:443", "\"[::1]\"",
// "198.51.100.2:8080". Anything else (obfuscated names, "unknown") is not an address.
std::optional<ip::address> hop_address(std::string_view text) {
  text = trim_blanks(text);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    text = text.substr(1, close - 1);
  } else if (text.find(':') == text.rfind(':') && text.find(':') != std::string_view::npos) {
    text = text.substr(0, text.find(':'));  // IPv4 with a port
  }
  boost::system::error_code ec;
  auto address = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return unmapped(address);
}

// The hops of the request's chain, nearest last. Forwarded wins over X-Forwarded-For when
// both are present, as RFC 7239 intends; each header may span several lines.
std::vector<std::string_view> forwarding_chain(const Request& req) {
  std::vector<std::string_view> hops;
  auto split = [&](std::string_view value, auto&& each) {
    while (true) {
      const auto comma = value.find(',');
      each(value.substr(0, comma));
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  };
  const auto [fwd_first, fwd_last] = req.equal_range(http::field::forwarded);
  for (auto line = fwd_first; line != fwd_last; ++line) {
    split(line->value(), [&](std::string_view element) {
      // element: for=...;proto=...;by=...
      std::string_view for_value;
      while (!element.empty()) {
        const auto semi = element.find(';');
        const auto pair = trim_blanks(element.substr(0, semi));
        if (pair.size() > 4 && boost::beast::iequals(pair.substr(0, 4), "for=")) {
          for_value = pair.substr(4);
        }
        if (semi == std::string_view::npos) break;
        element.remove_prefix(semi + 1);
      }
      hops.push_back(for_value);
    });
  }
  if (!hops.empty()) return hops;
  const auto [xff_first, xff_last] = req.equal_range("X-Forwarded-For");
  for (auto line = xff_first; line != xff_last; ++line) {
    split(line->value(), [&](std::string_view hop) { hops.push_back(hop); });
  }
  return hops;
}

}  // namespace

std::string client_address(const ip::address& peer, const Request& req,
                           const TrustedProxies& proxies) {
  auto client = unmapped(peer);
  if (proxies.empty() || !proxies.contains(client)) return client.to_string();
  const auto chain = forwarding_chain(req);
  for (auto hop = chain.rbegin(); hop != chain.rend(); ++hop) {
    const auto address = hop_address(*hop);
    if (!address) break;  // unreadable: the nearest trusted hop is all we know
    client = *address;
    if (!proxies.contains(client)) break;
  }
  return client.to_string();
}

}  // namespace relay::infra
