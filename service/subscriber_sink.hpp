#pragma once
// The transport end of a subscription (infra's SseStream), as the fan-out sees it. The
// fan-out calls into it and never waits on it, and it never calls back inside these calls:
// a slow or vanished client cannot stall a broadcast, and no call path re-enters the fan-out.
namespace relay::service {

struct OutgoingBatch;

class SubscriberSink {
 public:
  /// How a write went.
  enum class WriteStatus {
    complete,  ///< Every byte went out now.
    pending,   ///< The rest goes out asynchronously; Fanout::write_done() follows.
    failed,    ///< The connection is gone.
  };

  virtual ~SubscriberSink() = default;

  /// Writes the batch. It may take the frames out of `batch` to keep them alive while a
  /// pending write runs.
  virtual WriteStatus write(OutgoingBatch& batch) = 0;

  /// The fan-out is done with this subscriber (evicted, finished or failed): close the
  /// connection now (after the shutdown frame when `graceful`); no further call follows.
  virtual void close(bool graceful) = 0;

 protected:
  SubscriberSink() = default;
  SubscriberSink(const SubscriberSink&) = default;
  SubscriberSink& operator=(const SubscriberSink&) = default;
};

}  // namespace relay::service
