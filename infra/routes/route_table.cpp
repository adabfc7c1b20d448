#include "infra/routes/route_table.hpp"

#include "infra/routes/web_assets.hpp"

namespace relay::infra {

std::string_view target_path(std::string_view target) { return target.substr(0, target.find('?')); }

std::string_view allowed_methods(std::string_view path) {
  if (path == route::publish || path == route::domain_events) return "POST, OPTIONS";
  if (path == route::workers || path.starts_with(route::worker_prefix)) {
    return "GET, HEAD, OPTIONS";
  }
  if (path == route::stream || path == route::stats || path == route::metrics ||
      path == route::healthz || path == route::readyz || find_web_asset(path) != nullptr) {
    return "GET, HEAD, OPTIONS";
  }
  return {};
}

}  // namespace relay::infra
