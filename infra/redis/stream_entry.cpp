#include "infra/redis/stream_entry.hpp"

#include <fmt/format.h>

#include "infra/config/config_values.hpp"
#include "infra/redis/stream_record.hpp"

namespace relay::infra {

std::optional<std::uint64_t> ordinal_of(const RedisValue& entry) {
  if (entry.elements.size() != 2) return std::nullopt;
  const auto& flat = entry.elements[1].elements;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
    if (flat[i].text == "n") return parse_uint(flat[i + 1].text);
  }
  return std::nullopt;
}

StreamEntry decode_entry(const RedisValue& entry, std::size_t max_bytes) {
  StreamEntry decoded;
  if (entry.elements.size() != 2) {
    decoded.problem = "not a stream entry";
    return decoded;
  }
  decoded.id = domain::EventId::parse(entry.elements[0].text);
  decoded.ordinal = ordinal_of(entry);
  if (!decoded.id) {
    decoded.problem = "bad id";
    return decoded;
  }
  const auto& flat = entry.elements[1].elements;
  std::size_t bytes = 0;
  for (const auto& field : flat) bytes += field.text.size();
  if (bytes > max_bytes) {
    decoded.problem = fmt::format(
        "the entry holds {} bytes, more than an ingest accepts ({}, from RELAY_MAX_BODY_BYTES)",
        bytes, max_bytes);
    return decoded;
  }
  StreamFieldViews fields;  // views into the reply: only what the record keeps is copied
  fields.reserve(flat.size() / 2);
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
    fields.emplace_back(flat[i].text, flat[i + 1].text);
  }
  auto record = decode_stream_record(fields);
  if (auto* problem = std::get_if<std::string>(&record)) {
    decoded.problem = std::move(*problem);
    return decoded;
  }
  decoded.event = service::StoredEvent{*decoded.id, std::move(std::get<service::LogRecord>(record))};
  return decoded;
}

std::optional<domain::EventId> id_in(const RedisValue& value) {
  auto id = domain::EventId::parse(value.text);
  if (!id || *id == domain::EventId{0, 0}) return std::nullopt;
  return id;
}

}  // namespace relay::infra
