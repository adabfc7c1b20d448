#pragma once
// The Beast HTTP/1.1 front: accepts connections, reads requests with limits and a
// deadline, hands GET /api/events/stream to an SSE session and the rest to ApiRoutes.
#include <chrono>
#include <cstdint>
#include <unordered_set>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "infra/routes/api_routes.hpp"
#include "infra/config/app_config.hpp"
#include "service/hosted_service.hpp"
#include "service/telemetry/logger.hpp"
#include "service/address_quota.hpp"
#include "service/sse_event_relay.hpp"
#include "service/stream_admission.hpp"

namespace relay::infra {

class HttpServer final : public service::HostedService {
 public:
  /// `routes` answers everything but the stream; `relay` admits subscribers. At stop, an
  /// ordinary response still being written after `shutdown_grace` is cut off. `listener`
  /// admin: binds RELAY_ADMIN_HOST:RELAY_ADMIN_PORT and serves only the operators' routes
  /// (no streams), with the same request limits.
  HttpServer(boost::asio::any_io_executor executor, const HttpConfig& config,
             service::SseEventRelay& relay, ApiRoutes& routes, service::Logger& logger,
             std::chrono::milliseconds shutdown_grace, Listener listener = Listener::public_api);

  [[nodiscard]] std::string_view name() const override {
    return listener_ == Listener::admin ? "admin-server" : "http-server";
  }
  /// Binds and listens; throws "cannot listen on HOST:PORT: reason" when it cannot.
  void start() override;
  /// Stops accepting and closes connections that are waiting for a request; responses being
  /// written get the shutdown grace to finish (a client that never reads cannot hold the
  /// exit past it). Streams are left to the relay's own stop, which ends them with
  /// system.sse.shutdown.
  boost::asio::awaitable<void> stop() override;

  /// The bound port (useful with port 0).
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  /// Answers an unreadable or refused request and closes without resetting the connection.
  boost::asio::awaitable<void> refuse(boost::beast::tcp_stream& stream, Response res);

  boost::asio::any_io_executor executor_;
  const HttpConfig& config_;
  service::SseEventRelay& relay_;
  service::Logger& logger_;
  ApiRoutes& routes_;
  Listener listener_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  bool stopping_ = false;
  std::uint64_t failed_accepts_ = 0;  ///< In the current spell of failing accepts.
  /// Connections currently waiting for a request: the ones a stop may close at once.
  std::unordered_set<boost::asio::ip::tcp::socket*> awaiting_request_;
  /// Every request/response connection (not streams): closed when the grace runs out.
  std::unordered_set<boost::asio::ip::tcp::socket*> connections_;
  std::chrono::milliseconds shutdown_grace_;
  boost::asio::steady_timer grace_timer_;  ///< Cancelled when the last connection ends.
  service::AddressQuota stream_quota_;     ///< RELAY_MAX_CLIENTS_PER_IP
  service::StreamAdmission admission_;
};

}  // namespace relay::infra
