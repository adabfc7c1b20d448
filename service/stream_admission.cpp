#include "service/stream_admission.hpp"

#include <fmt/format.h>

namespace relay::service {

std::variant<AdmittedStream, StreamRefusal> StreamAdmission::admit(StreamRequest request) {
  if (request.allowed) {
    auto narrowed = request.filter.within(*request.allowed);
    if (auto* why = std::get_if<std::string>(&narrowed)) {
      return StreamRefusal{error::outside_grant, std::move(*why)};
    }
    request.filter = std::move(std::get<SubscriptionFilter>(narrowed));
  }
  if (!event_log_.health().positioned) return StreamRefusal{error::catching_up, {}};
  auto slot = quota_.acquire(request.client);
  if (!slot) {
    return StreamRefusal{
        error::too_many_subscribers,
        fmt::format("this address holds {} streams already (RELAY_MAX_CLIENTS_PER_IP)",
                    quota_.limit())};
  }
  auto subscribed = relay_.subscribe({std::move(request.filter), std::move(request.last_event_id),
                                      request.expires_unix_ms, std::move(request.client),
                                      std::move(request.subject)});
  if (const auto* reason = std::get_if<relay::error>(&subscribed)) {
    return StreamRefusal{*reason, {}};
  }
  return AdmittedStream{std::move(std::get<std::unique_ptr<Subscription>>(subscribed)),
                        std::move(*slot)};
}

}  // namespace relay::service
