#pragma once
// One SSE stream: the coroutine that owns the socket after GET /api/events/stream.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "infra/app_config.hpp"
#include "infra/http_types.hpp"
#include "service/logger.hpp"
#include "service/sse_event_relay.hpp"

namespace relay::infra {

/// Subscribes and streams until the client leaves, the relay evicts it or the relay stops.
/// Bad queries and refused subscriptions get their problem+json answer instead.
/// Returns with the socket shut down; `stream` must have no timeout armed.
boost::asio::awaitable<void> run_sse_session(boost::beast::tcp_stream& stream, const Request& req,
                                             service::SseEventRelay& relay,
                                             const HttpConfig& config, service::Logger& logger);

}  // namespace relay::infra
