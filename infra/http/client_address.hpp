#pragma once
// Who a request comes from. Behind a balancer every connection's peer is the balancer, so
// the client is named by X-Forwarded-For or Forwarded (RFC 7239) - but those headers are
// believed only when the peer is a listed proxy (RELAY_TRUSTED_PROXIES); from anyone else
// they are ignored, or a client could pick the address its limits are counted under.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include "infra/http/http_types.hpp"

namespace relay::infra {

/// The addresses and networks (CIDR) whose forwarding headers are believed.
class TrustedProxies {
 public:
  /// Parses "10.0.0.1, 10.1.0.0/16, ::1"; the error names the entry that is not an
  /// address or a network.
  static std::variant<TrustedProxies, std::string> parse(const std::vector<std::string>& entries);

  [[nodiscard]] bool empty() const { return v4_.empty() && v6_.empty(); }
  [[nodiscard]] bool contains(const boost::asio::ip::address& address) const;

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

/// An IPv4-mapped IPv6 address as the IPv4 address it is; others unchanged.
boost::asio::ip::address unmapped(const boost::asio::ip::address& address);

/// The client address of a request that arrived from `peer`: the peer itself unless it is a
/// trusted proxy; then the nearest address in the forwarding chain (Forwarded, else
/// X-Forwarded-For, read right to left) that is not a trusted proxy. A chain that is absent
/// or unreadable leaves the nearest trusted hop as the client.
std::string client_address(const boost::asio::ip::address& peer, const Request& req,
                           const TrustedProxies& proxies);

}  // namespace relay::infra
