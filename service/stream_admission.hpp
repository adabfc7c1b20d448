#pragma once
// Whether a stream request is admitted (DESIGN 8), decided in one place once its HTTP is
// parsed, in this order: the token's grant narrows the filter (asking for more is refused,
// not quietly cut); a replica still building its state from the shared log admits nobody;
// a client address holds at most RELAY_MAX_CLIENTS_PER_IP streams; the relay takes no one
// while stopping or full (SseEventRelay::subscribe). The HTTP front parses the token and
// the query before and turns a refusal into its answer after (infra/http/error_responses).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "service/address_quota.hpp"
#include "service/event_log.hpp"
#include "service/relay_error.hpp"
#include "service/sse_event_relay.hpp"
#include "service/subscription.hpp"
#include "service/subscription_filter.hpp"

namespace relay::service {

/// A stream request as the HTTP front parsed it.
struct StreamRequest {
  SubscriptionFilter filter;  ///< What the query asks for.
  /// What the subscriber's token allows (read during admit() only); null: no token in play.
  const SubscriptionFilter* allowed = nullptr;
  std::optional<std::int64_t> expires_unix_ms;  ///< The token's expiry (wall-clock ms).
  std::optional<std::string> last_event_id;     ///< Last-Event-ID, else `?since=`.
  std::string client;                           ///< The client's address.
  std::string subject;                          ///< The token's `sub`; empty without one.
};

/// An admitted stream: its subscription, and its address's place held while it lives.
struct AdmittedStream {
  std::unique_ptr<Subscription> subscription;
  AddressQuota::Slot slot;
};

struct StreamRefusal {
  relay::error reason;
  std::string detail;  ///< Empty: the reason's default sentence.
};

class StreamAdmission {
 public:
  StreamAdmission(SseEventRelay& relay, const EventLog& log, AddressQuota& quota)
      : relay_(relay), event_log_(log), quota_(quota) {}

  [[nodiscard]] std::variant<AdmittedStream, StreamRefusal> admit(StreamRequest request);

 private:
  SseEventRelay& relay_;
  const EventLog& event_log_;
  AddressQuota& quota_;
};

}  // namespace relay::service
