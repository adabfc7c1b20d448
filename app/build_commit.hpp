#pragma once
// The git commit this binary was built from (generated at build time: cmake/build_commit.cmake).
#include <string_view>

namespace relay {

std::string_view build_commit();

}  // namespace relay
