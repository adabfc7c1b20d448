#pragma once
// The transport end of a subscription (infra's SSE stream). The relay calls into it and
// never waits on it: a slow or vanished client cannot stall a broadcast.
namespace relay::service {

class SubscriberSink {
 public:
  virtual ~SubscriberSink() = default;
  /// There may be something to write (new frames, a due heartbeat, stop): unless a write
  /// is already in flight, take Subscription::next_batch() and write it.
  virtual void wake() = 0;
  /// The relay evicted the subscriber: close the connection now, which also ends a write
  /// that is stuck on a full socket.
  virtual void close_now() = 0;

 protected:
  SubscriberSink() = default;
  SubscriberSink(const SubscriberSink&) = default;
  SubscriberSink& operator=(const SubscriberSink&) = default;
};

}  // namespace relay::service
