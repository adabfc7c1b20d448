#pragma once
// The Lua scripts the bus runs on Redis. Each is one atomic step, so no other replica's
// command lands between its reads and writes.
#include <string_view>

namespace relay::infra::scripts {

// KEYS[1] stream, KEYS[2] epoch, KEYS[3] entry counter; ARGV: maxlen, dedupe ttl (s), dedupe
// key prefix, a new epoch should there be none, record count, then per record: dedupe key
// ('' = none), field count, field, value, ... Returns {flags, {ids}, ordinal}: flags holds a
// '1' for each record new to the stream and a '0' for each retry, in record order; the new
// ones have the ordinals after `ordinal`, in order. One script, so a batch
// is stored whole or not at all, a retry racing its original on another replica is stored
// once, no entry exists without an epoch, and each entry's ordinal `n` is its place.
inline constexpr std::string_view append = R"lua(
local stream, maxlen, ttl, prefix = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3]
redis.call('SET', KEYS[2], ARGV[4], 'NX')
local n, at = tonumber(ARGV[5]), 6
-- Where each record's fields start, and its dedupe keys looked up in one MGET.
local starts, counts, keys, lookups = {}, {}, {}, {}
for r = 1, n do
  local key, count = ARGV[at], tonumber(ARGV[at + 1])
  starts[r], counts[r], keys[r] = at + 2, count, key
  if key ~= '' then lookups[#lookups + 1] = prefix .. key end
  at = at + 2 + count * 2
end
local found = {}
if #lookups > 0 then
  local values = redis.call('MGET', unpack(lookups))
  for i = 1, #lookups do found[lookups[i]] = values[i] end
end
-- Which records are new (not stored before, not a repeat within the batch).
local ids, fresh, seen, flags = {}, {}, {}, {}
for r = 1, n do
  local key = keys[r]
  flags[r] = '0'
  if key ~= '' and found[prefix .. key] then
    ids[r] = found[prefix .. key]
  elseif key ~= '' and seen[key] then
    ids[r] = seen[key]  -- resolved to the first one's id below
  else
    fresh[#fresh + 1] = r
    flags[r] = '1'
    if key ~= '' then seen[key] = r end
  end
end
local ordinal = 0
if #fresh > 0 then ordinal = redis.call('INCRBY', KEYS[3], #fresh) - #fresh end
local before = ordinal
for _, r in ipairs(fresh) do
  ordinal = ordinal + 1
  local id
  if counts[r] == 1 then  -- the v2 format: no argument table to build
    local at = starts[r]
    id = redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', ARGV[at], ARGV[at + 1], 'n', ordinal)
  else
    local args = {stream, 'MAXLEN', '~', maxlen, '*'}
    for f = 0, counts[r] * 2 - 1 do args[#args + 1] = ARGV[starts[r] + f] end
    args[#args + 1] = 'n'
    args[#args + 1] = ordinal
    id = redis.call('XADD', unpack(args))
  end
  ids[r] = id
  if keys[r] ~= '' then
    redis.call('SET', prefix .. keys[r], id, 'EX', ttl)
    seen[keys[r]] = id
  end
end
for r = 1, n do
  if type(ids[r]) == 'number' then ids[r] = seen[keys[r]] end
end
return {table.concat(flags), ids, before}
)lua";

// The append script for a group whose records have no dedupe key, written as v2 entries
// (generic publishes without Idempotency-Key): nothing to look up or to remember, one field
// per record, so it only numbers and adds them, and trims once per group (an XADD without
// MAXLEN is three arguments fewer to run and to write to the AOF). KEYS as above; ARGV:
// maxlen, a new epoch should there be none, then each record's `r` value. Answers as above.
inline constexpr std::string_view append_plain = R"lua(
local stream = KEYS[1]
redis.call('SET', KEYS[2], ARGV[2], 'NX')
local n = #ARGV - 2
local before = redis.call('INCRBY', KEYS[3], n) - n
local ids = {}
for i = 1, n do
  ids[i] = redis.call('XADD', stream, '*', 'r', ARGV[i + 2], 'n', before + i)
end
redis.call('XTRIM', stream, 'MAXLEN', '~', ARGV[1])
return {string.rep('1', n), ids, before}
)lua";

// KEYS[1] stream, KEYS[2] epoch, KEYS[3] entry counter. Returns {epoch or '', newest id or
// '', entries appended in this epoch}.
inline constexpr std::string_view probe = R"lua(
local epoch = redis.call('GET', KEYS[2]) or ''
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local newest_id = ''
if newest[1] then newest_id = newest[1][1] end
return {epoch, newest_id, tonumber(redis.call('GET', KEYS[3]) or '0')}
)lua";

// KEYS[1] snapshot hash, KEYS[2] epoch; ARGV: id, epoch, ordinal, data. Stores the snapshot
// only if it is of the current epoch and newer than the one stored: 1 written, 0 not newer,
// -1 the epoch changed (the writer's state is of a stream that is gone).
inline constexpr std::string_view store_snapshot = R"lua(
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return -1 end
local stored = redis.call('HMGET', KEYS[1], 'id', 'epoch')
if stored[1] and stored[2] == ARGV[2] then
  local sm, ss = string.match(stored[1], '^(%d+)-(%d+)$')
  local nm, ns = string.match(ARGV[1], '^(%d+)-(%d+)$')
  sm, ss, nm, ns = tonumber(sm), tonumber(ss), tonumber(nm), tonumber(ns)
  if sm and (nm < sm or (nm == sm and ns <= ss)) then return 0 end
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'epoch', ARGV[2], 'n', ARGV[3], 'data', ARGV[4])
return 1
)lua";

// KEYS[1] epoch; ARGV[1] a new epoch should there be none. Returns the epoch.
inline constexpr std::string_view ensure_epoch = R"lua(
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
)lua";

}  // namespace relay::infra::scripts
