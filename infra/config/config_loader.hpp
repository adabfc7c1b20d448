#pragma once
// 12-factor configuration: every option is a flag and an environment variable; the flag wins.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "infra/config/app_config.hpp"
#include "infra/config/config_values.hpp"

namespace relay::infra {

/// The process environment.
EnvLookup process_environment();

/// What the command line asked for instead of running.
struct ConfigExit {
  int exit_code = 0;    ///< 0 for --help / --version, 2 for a bad flag or value.
  std::string message;  ///< Text for stdout (help) or one line for stderr (error).
};

/// Builds the configuration from `args` (without argv[0]) over the environment.
std::variant<AppConfig, ConfigExit> load_config(const std::vector<std::string>& args,
                                                const EnvLookup& env, std::string_view version);

}  // namespace relay::infra
