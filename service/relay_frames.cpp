#include "service/relay_frames.hpp"

#include <fmt/format.h>

#include "proto/json_writer.hpp"
#include "proto/rfc3339.hpp"
#include "proto/sse_encoder.hpp"

namespace relay::service {

RelayFrames::RelayFrames(const Clock& clock, RelayFrameSettings settings, std::string instance_id)
    : clock_(clock),
      settings_(settings),
      random_(std::random_device{}()),
      instance_id_(std::move(instance_id)) {}

std::string RelayFrames::preamble(const std::string& client_id, const ReplayDecision& decision,
                                  const std::string& newest_id) const {
  std::string out = proto::encode_retry(static_cast<std::uint32_t>(settings_.retry.count()));
  std::string connected;
  proto::JsonObjectWriter(connected)
      .string("client_id", client_id)
      .string("instance_id", instance_id_)
      .number("heartbeat_ms", settings_.heartbeat.count())
      .string_or_null("last_event_id", newest_id)
      .close();
  proto::append_event(out, "", "connected", connected);
  if (decision.kind == ReplayDecision::Kind::resync) {
    out += *resync(decision.reason, decision.oldest_id);
  }
  return out;
}

std::shared_ptr<const std::string> RelayFrames::resync(const std::string& reason,
                                                       const std::string& oldest_id) const {
  std::string data;
  proto::JsonObjectWriter(data)
      .string("reason", reason)
      .string_or_null("oldest_id", oldest_id)
      .close();
  auto out = std::make_shared<std::string>();
  proto::append_event(*out, "", "system.sse.resync", data);
  return out;
}

std::shared_ptr<const std::string> RelayFrames::heartbeat() {
  std::string data;
  proto::JsonObjectWriter(data)
      .string("time", proto::format_rfc3339_ms(clock_.now_unix_ms()))
      .close();
  return std::make_shared<const std::string>(proto::encode_event("", "heartbeat", data));
}

std::shared_ptr<const std::string> RelayFrames::shutdown() {
  const auto jitter = settings_.reconnect_jitter.count();
  const auto reconnect_ms =
      settings_.retry.count() +
      (jitter > 0 ? static_cast<std::int64_t>(random_() % static_cast<std::uint64_t>(jitter + 1))
                  : 0);
  std::string data;
  proto::JsonObjectWriter(data)
      .string("reason", "shutdown")
      .number("reconnect_ms", reconnect_ms)
      .close();
  std::string out = fmt::format("retry: {}\n", reconnect_ms);
  proto::append_event(out, "", "system.sse.shutdown", data);
  return std::make_shared<const std::string>(std::move(out));
}

std::shared_ptr<const std::string> RelayFrames::reauth(bool revoked) const {
  // The same bytes for every stream: built once.
  static const auto expired = std::make_shared<const std::string>(
      proto::encode_event("", "system.sse.reauth", R"({"reason":"token_expired"})"));
  static const auto revoked_frame = std::make_shared<const std::string>(
      proto::encode_event("", "system.sse.reauth", R"({"reason":"revoked"})"));
  return revoked ? revoked_frame : expired;
}

std::string RelayFrames::random_hex(std::size_t digits) {
  std::string out;
  while (out.size() < digits) out += fmt::format("{:016x}", random_());
  out.resize(digits);
  return out;
}

}  // namespace relay::service
