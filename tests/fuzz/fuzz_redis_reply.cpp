// libFuzzer target: RedisReplyReader (hiredis's parser building our tree through its hooks)
// against hiredis's own reader on the same bytes, fed in chunks whose size the first byte
// picks. Invariants: never crashes or leaks; both readers see the same replies, in the same
// shapes, and refuse the same streams (ours also refuses arrays over max_elements).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <hiredis/hiredis.h>

#include "infra/redis/redis_reply_reader.hpp"

using relay::infra::RedisReplyReader;
using relay::infra::RedisValue;

namespace {

bool same(const redisReply& theirs, const RedisValue& ours) {
  switch (theirs.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR: {
      const auto kind = theirs.type == REDIS_REPLY_STRING   ? RedisValue::Kind::string
                        : theirs.type == REDIS_REPLY_STATUS ? RedisValue::Kind::status
                                                            : RedisValue::Kind::error;
      return ours.kind == kind && ours.text == std::string_view(theirs.str, theirs.len);
    }
    case REDIS_REPLY_INTEGER:
      return ours.kind == RedisValue::Kind::integer && ours.integer == theirs.integer;
    case REDIS_REPLY_NIL:
      return ours.kind == RedisValue::Kind::nil;
    case REDIS_REPLY_ARRAY:
      if (ours.kind != RedisValue::Kind::array || ours.elements.size() != theirs.elements) return false;
      for (std::size_t i = 0; i < theirs.elements; ++i) {
        if (!same(*theirs.element[i], ours.elements[i])) return false;
      }
      return true;
    default:
      return false;
  }
}

// Whether `bytes` hold an array header larger than ours accepts (hiredis 0.14 has no bound).
bool declares_huge_array(std::string_view bytes) {
  for (std::size_t at = bytes.find('*'); at != std::string_view::npos; at = bytes.find('*', at + 1)) {
    std::size_t n = 0;
    std::size_t i = at + 1;
    while (i < bytes.size() && bytes[i] >= '0' && bytes[i] <= '9' && n <= RedisReplyReader::max_elements) {
      n = n * 10 + static_cast<std::size_t>(bytes[i++] - '0');
    }
    if (n > RedisReplyReader::max_elements) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 16;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  RedisReplyReader ours;
  if (declares_huge_array(bytes)) {
    // hiredis would size such an array (gigabytes); ours refuses it: run ours alone.
    ours.feed(bytes);
    while (std::holds_alternative<RedisValue>(ours.next())) {
    }
    return 0;
  }
  redisReader* theirs = redisReaderCreate();
  bool done = false;
  for (std::size_t at = 0; at < bytes.size() && !done; at += chunk) {
    const auto piece = bytes.substr(at, chunk);
    const bool fed_theirs = redisReaderFeed(theirs, piece.data(), piece.size()) == REDIS_OK;
    if (fed_theirs != ours.feed(piece)) std::abort();
    for (;;) {
      void* reply = nullptr;
      const bool ok = redisReaderGetReply(theirs, &reply) == REDIS_OK;
      auto next = ours.next();
      if (!ok) {
        if (!std::holds_alternative<RedisReplyReader::ProtocolError>(next)) std::abort();
        done = true;
        break;
      }
      if (reply == nullptr) {
        if (!std::holds_alternative<RedisReplyReader::NeedMore>(next)) std::abort();
        break;
      }
      const auto* value = std::get_if<RedisValue>(&next);
      if (value == nullptr || !same(*static_cast<redisReply*>(reply), *value)) std::abort();
      freeReplyObject(reply);
    }
  }
  redisReaderFree(theirs);
  return 0;
}
