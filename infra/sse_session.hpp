#pragma once
// One SSE stream: the coroutine that owns the socket after GET /api/events/stream.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "infra/app_config.hpp"
#include "infra/http_types.hpp"
#include "service/logger.hpp"
#include "service/sse_event_relay.hpp"

namespace relay::infra {

/// Subscribes and streams until the client leaves, the relay evicts it or the relay stops.
/// Bad queries and refused subscriptions get their problem+json answer instead.
/// Takes the bare socket and the request by value: a stream lives for hours, so nothing of
/// the request reader (parser, buffers, timers) stays allocated behind it.
boost::asio::awaitable<void> run_sse_session(boost::asio::ip::tcp::socket socket, Request req,
                                             service::SseEventRelay& relay,
                                             const HttpConfig& config, service::Logger& logger);

}  // namespace relay::infra
