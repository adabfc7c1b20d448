#pragma once
// What the relay is actually running with, said once at start-up (DESIGN 6: "one start-up
// line with the effective modes"), and what in it deserves a warning. A new user should
// never have to guess from the absence of a line whether anyone may publish.
#include <string>
#include <vector>

#include "infra/config/app_config.hpp"

namespace relay::infra {

/// One JSON object: log (memory, or the Redis address and stream, never its password), auth
/// for subscribers and producers, CORS, bind (public and admin listeners) and the limits.
std::string effective_modes_json(const AppConfig& config);

/// Warnings about the configuration as a whole, in words, each naming what to set: publishing
/// open to anyone who reaches a non-loopback listener; an admin listener bound beyond
/// loopback without a token.
std::vector<std::string> configuration_warnings(const AppConfig& config);

/// True for 127.0.0.0/8, ::1 and "localhost": an address only this machine reaches.
bool is_loopback_host(std::string_view host);

}  // namespace relay::infra
