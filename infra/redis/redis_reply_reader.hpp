#pragma once
// RESP replies out of a byte stream: hiredis's reader (its parser; no RESP parser of ours),
// building our RedisValue tree directly through its reply-object hooks, so each reply is
// allocated once and not as hiredis's tree and then again as our copy of it (issue 25: the
// copy was a fifth of the relay's allocations on the Redis path).
#include <cstddef>
#include <memory>
#include <string_view>
#include <variant>

#include "infra/redis/redis_value.hpp"

struct redisReader;

namespace relay::infra {

class RedisReplyReader {
 public:
  /// Nothing yet (more bytes needed), a reply, or a protocol error (the stream is unusable).
  struct NeedMore {};
  struct ProtocolError {};
  using Next = std::variant<NeedMore, RedisValue, ProtocolError>;

  /// Largest array accepted: hiredis sizes an array when its header arrives, so without a
  /// bound one line ("*100000000") from a broken or hostile peer would allocate gigabytes.
  /// The bus never asks for more than some thousands (XREAD/XRANGE COUNT, MGET of a batch).
  static constexpr std::size_t max_elements = std::size_t{1} << 16;

  RedisReplyReader();
  ~RedisReplyReader();
  RedisReplyReader(const RedisReplyReader&) = delete;
  RedisReplyReader& operator=(const RedisReplyReader&) = delete;

  /// Appends received bytes; false when the reader refuses them (out of memory).
  bool feed(std::string_view bytes);
  /// The next complete reply.
  Next next();

 private:
  redisReader* reader_;
};

}  // namespace relay::infra
