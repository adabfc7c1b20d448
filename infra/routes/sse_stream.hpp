#pragma once
// One SSE stream after GET /api/events/stream: the socket driver of a Subscription. Opening
// is split from streaming: the HTTP session checks the query and subscribes (and answers a
// refusal itself); SseStream then owns the bare socket, joins the fan-out and writes what
// the fan-out hands it, with plain completion handlers. An idle stream is a socket, a
// Subscription and one pending wait for the peer to close: no coroutine frame, no request
// buffers, no timer.
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "infra/config/app_config.hpp"
#include "infra/http/http_types.hpp"
#include "service/fanout.hpp"
#include "service/telemetry/logger.hpp"
#include "service/clock.hpp"
#include "service/stream_admission.hpp"

namespace relay::infra {

/// A subscription ready to stream, and the response head to send before its first frames.
struct OpenedStream {
  service::AdmittedStream admitted;
  std::string head;
};

/// The HTTP half of opening a stream: the token (401), the query (400), then the one
/// admission decision (service::StreamAdmission: 403 outside the grant, 503 catching up,
/// per address, draining or full), and the response head. Last-Event-ID wins over `?since=`.
std::variant<OpenedStream, Response> open_stream(const Request& req,
                                                 service::StreamAdmission& admission,
                                                 const HttpConfig& config,
                                                 const service::Clock& clock,
                                                 std::string_view client);

class SseStream final : public service::SubscriberSink,
                        public std::enable_shared_from_this<SseStream> {
 public:
  /// Streams until the client leaves, the fan-out lets it go or the relay stops. Keeps
  /// itself alive through its pending operations.
  static void start(boost::asio::ip::tcp::socket socket, OpenedStream opened,
                    service::Fanout& fanout, service::Logger& logger);

  SseStream(boost::asio::ip::tcp::socket socket, std::string head,
            service::AddressQuota::Slot slot, service::Fanout& fanout);
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;
  ~SseStream() override;

  // service::SubscriberSink
  WriteStatus write(service::OutgoingBatch& batch) override;
  void close(bool graceful) override;

 private:
  void on_written(const boost::system::error_code& ec);
  static std::vector<boost::asio::const_buffer> unsent_suffix(
      std::span<const boost::asio::const_buffer> all, std::size_t sent);
  void watch_peer();
  /// The transport ended on our side (peer gone, write failed): tell the fan-out, close.
  void end();

  boost::asio::ip::tcp::socket socket_;
  std::string head_;  ///< Sent with the first batch, then freed.
  service::AddressQuota::Slot slot_;
  service::Fanout& fanout_;
  service::Subscription* sub_ = nullptr;  ///< Null once the fan-out or we ended it.
  /// Keeps the frames of a pending write alive until it completes.
  std::vector<std::shared_ptr<const std::string>> in_flight_;
};

}  // namespace relay::infra
