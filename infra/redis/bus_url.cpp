#include "infra/redis/bus_url.hpp"

#include <charconv>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <fmt/format.h>

namespace relay::infra {

std::variant<std::optional<RedisBusConfig>, std::string> parse_bus_url(std::string_view text) {
  if (text == "memory") return std::optional<RedisBusConfig>{};
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed || parsed->scheme() != "redis") {
    return std::string("expected 'memory' or redis://[user:pass@]host[:port][/db]");
  }
  RedisBusConfig config;
  config.host = parsed->host_address();
  if (config.host.empty()) return std::string("the redis:// URL names no host");
  if (parsed->has_port()) {
    const auto port = parsed->port_number();
    if (port == 0) return fmt::format("'{}' is not a port", std::string(parsed->port()));
    config.port = port;
  }
  if (parsed->has_userinfo()) {
    config.user = parsed->user();
    config.password = parsed->password();
  }
  // path() decodes into a new string: keep it (a view of it would dangle).
  const std::string decoded_path = parsed->path();
  std::string_view path = decoded_path;
  if (!path.empty() && path != "/") {
    path.remove_prefix(1);
    unsigned db = 0;
    auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc{} || end != path.data() + path.size()) {
      return fmt::format("'{}' is not a database number", std::string(path));
    }
    config.database = db;
  }
  return std::optional<RedisBusConfig>{std::move(config)};
}

}  // namespace relay::infra
