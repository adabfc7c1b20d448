#include "infra/redis/redis_reply_reader.hpp"

#include <new>

#include <hiredis/hiredis.h>

namespace relay::infra {

namespace {

// An array's elements are sized
// when it is created; each child is then built in its slot. The hooks run inside C code:
// nothing may throw through them, so an allocation failure answers NULL (hiredis: out of
// memory, the connection fails).
RedisValue* slot_for(const redisReadTask* task) {
  if (task->parent != nullptr) {
    auto* parent = static_cast<RedisValue*>(task->parent->obj);
    return &parent->elements[static_cast<std::size_t>(task->idx)];
  }
  return new (std::nothrow) RedisValue();
}

void* create_string(const redisReadTask* task, char* text, std::size_t length) {
  try {
    auto* value = slot_for(task);
    if (value == nullptr) return nullptr;
    value->kind = task->type == REDIS_REPLY_ERROR    ? RedisValue::Kind::error
                  : task->type == REDIS_REPLY_STATUS ? RedisValue::Kind::status
                                                     : RedisValue::Kind::string;
    value->text.assign(text, length);
    return value;
  } catch (...) {
    return nullptr;
  }
}

void* create_array(const redisReadTask* task, int elements) {
  if (static_cast<std::size_t>(elements) > RedisReplyReader::max_elements) return nullptr;
  try {
    auto* value = slot_for(task);
    if (value == nullptr) return nullptr;
    value->kind = RedisValue::Kind::array;
    value->elements.resize(static_cast<std::size_t>(elements));
    return value;
  } catch (...) {
    return nullptr;
  }
}

void* create_integer(const redisReadTask* task, long long number) {
  auto* value = slot_for(task);
  if (value == nullptr) return nullptr;
  value->kind = RedisValue::Kind::integer;
  value->integer = number;
  return value;
}

void* create_nil(const redisReadTask* task) {
  auto* value = slot_for(task);
  if (value != nullptr) value->kind = RedisValue::Kind::nil;
  return value;
}

// Only ever called with a root: the children live inside it.
void free_value(void* root) { delete static_cast<RedisValue*>(root); }

redisReplyObjectFunctions value_builders{create_string, create_array, create_integer, create_nil,
                                         free_value};

struct ReaderDeleter {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};

}  // namespace

RedisReplyReader::RedisReplyReader() : reader_(redisReaderCreateWithFunctions(&value_builders)) {
  if (reader_ == nullptr) throw std::bad_alloc();
}

RedisReplyReader::~RedisReplyReader() { redisReaderFree(reader_); }

bool RedisReplyReader::feed(std::string_view bytes) {
  return redisReaderFeed(reader_, bytes.data(), bytes.size()) == REDIS_OK;
}

RedisReplyReader::Next RedisReplyReader::next() {
  void* raw = nullptr;
  if (redisReaderGetReply(reader_, &raw) != REDIS_OK) return ProtocolError{};
  if (raw == nullptr) return NeedMore{};
  std::unique_ptr<RedisValue> reply(static_cast<RedisValue*>(raw));
  return std::move(*reply);
}

}  // namespace relay::infra
