#pragma once
// Comparing a presented secret (a producer or admin token) with the configured one.
#include <string_view>

namespace relay::infra {

/// Constant-time equality: the loop runs over the whole expected secret whatever the input,
/// so the time taken says nothing about where the first difference is.
inline bool same_secret(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const char g = i < given.size() ? given[i] : '\0';
    diff |= static_cast<unsigned char>(g ^ expected[i]);
  }
  return diff == 0;
}

}  // namespace relay::infra
