#pragma once
// The browser side served by the relay itself: the dashboard (/) and sse-client.js, built
// from service/web/ into the binary by cmake/embed_web.cmake.
#include <span>
#include <string_view>

namespace relay::infra {

struct WebAsset {
  std::string_view path;          ///< "/", "/sse-client.js", ...
  std::string_view content_type;
  std::string_view body;
};

std::span<const WebAsset> web_assets();

/// The asset at `path`, or null.
inline const WebAsset* find_web_asset(std::string_view path) {
  for (const auto& asset : web_assets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace relay::infra
