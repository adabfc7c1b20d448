#pragma once
// The bytes that serialised read-model answers may hold in memory at once
// (RELAY_MAX_READ_MODEL_BYTES). A list is serialised once per version and shared, but a
// client that asks and never reads keeps its version alive until its request times out;
// while events flow every request can meet a new version, so forty unread requests could pin
// forty full lists (30 MB each at 100,000 workers). Every body the read model builds is
// counted here from its making until the last response and cache entry holding it let go;
// a build that would go past the limit is refused (503 + Retry-After) instead.
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

namespace relay::infra {

class ReadModelBudget {
 public:
  /// Default of RELAY_MAX_READ_MODEL_BYTES: about two full lists at the default
  /// RELAY_MAX_WORKERS (100,000 workers of ~300 bytes each).
  static constexpr std::size_t default_limit = std::size_t{64} * 1024 * 1024;

  explicit ReadModelBudget(std::size_t limit = default_limit)
      : limit_(limit), pinned_(std::make_shared<std::atomic<std::size_t>>(0)) {}

  /// Whether a body of about `bytes` may be built now. One answer is always allowed when
  /// nothing is pinned, so a read model larger than the limit still has a reader.
  [[nodiscard]] bool admits(std::size_t bytes) const {
    const auto pinned = pinned_->load();
    return pinned == 0 || pinned + bytes <= limit_;
  }

  /// `body`, counted against the budget until its last holder lets it go. The count is
  /// shared with the deleter, so a response that outlives its routes still un-counts safely.
  [[nodiscard]] std::shared_ptr<const std::string> pin(std::string body) const {
    // What the allocation holds, not only what is used: that is the memory pinned.
    const auto size = body.capacity();
    pinned_->fetch_add(size);
    return {new std::string(std::move(body)), [pinned = pinned_, size](const std::string* text) {
              pinned->fetch_sub(size);
              delete text;
            }};
  }

  /// Bytes held by read-model bodies now.
  [[nodiscard]] std::size_t pinned() const { return pinned_->load(); }
  [[nodiscard]] std::size_t limit() const { return limit_; }

 private:
  std::size_t limit_;
  std::shared_ptr<std::atomic<std::size_t>> pinned_;
};

}  // namespace relay::infra
