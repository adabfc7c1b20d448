#pragma once
// One RESP reply as the bus's parts read it.
#include <string>
#include <vector>

namespace relay::infra {

/// One RESP reply (built by RedisReplyReader).
struct RedisValue {
  enum class Kind { string, array, integer, nil, status, error };
  Kind kind = Kind::nil;
  std::string text;  ///< string, status and error replies
  long long integer = 0;
  std::vector<RedisValue> elements;

  [[nodiscard]] bool is_error() const { return kind == Kind::error; }
  [[nodiscard]] bool is_nil() const { return kind == Kind::nil; }
};

}  // namespace relay::infra
