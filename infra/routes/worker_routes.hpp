#pragma once
// The read model's routes: GET /api/workers and GET /api/workers/{id} (DESIGN 4.4), the
// serialised lists cached per version and grant, bounded by RELAY_MAX_READ_MODEL_BYTES.
// (The write side, POST /api/domain-events, is domain_events_route.)
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>

#include "infra/http/http_types.hpp"
#include "infra/routes/read_model_budget.hpp"
#include "infra/auth/subscriber_auth.hpp"
#include "service/event_ingest.hpp"
#include "service/worker_projection.hpp"

namespace relay::infra {

class WorkerRoutes {
 public:
  /// `read_model_bytes`: RELAY_MAX_READ_MODEL_BYTES, what unread answers may pin in total.
  explicit WorkerRoutes(const service::WorkerProjection& projection,
                        std::size_t read_model_bytes = ReadModelBudget::default_limit)
      : projection_(projection), budget_(read_model_bytes) {}

  /// GET /api/workers (`worker_id` empty) or GET /api/workers/{worker_id}. The whole list
  /// is serialised once per version of the read model and shared by every response to it;
  /// `?limit=N&after=<worker id>` pages through it in worker id order instead. `grant`
  /// (null: no token needed) keeps only the workers it allows, answers 403 for a worker
  /// outside it, and makes the ETag the grant's own.
  Response read(const Request& req, std::string_view worker_id, const SubscriberGrant* grant);

  /// Most workers one page holds (`?limit=`).
  static constexpr std::size_t max_page = 1000;

  /// Bytes read-model bodies (cached or in responses not yet written) hold now.
  [[nodiscard]] std::size_t pinned_bytes() const { return budget_.pinned(); }

 private:
  Response read_page(const Request& req, std::size_t limit, const std::string& after,
                     const SubscriberGrant* grant);
  /// The whole list (`grant` null) or a grant's rows, as GET /api/workers answers them.
  std::shared_ptr<const std::string> list_body(const std::string& last,
                                               const SubscriberGrant* grant);
  /// 503 + Retry-After: building another body would pin more than the budget.
  Response busy(const Request& req) const;

  const service::WorkerProjection& projection_;
  ReadModelBudget budget_;
  /// Size of the last whole list built: what the next list (or a grant's, at most) will take.
  std::size_t list_estimate_ = 0;
  /// The buffer a whole list is built in: the last one's size and a little room to grow.
  [[nodiscard]] std::size_t list_capacity() const {
    return list_estimate_ == 0 ? 0 : list_estimate_ + list_estimate_ / 32 + 4096;
  }
  /// The serialised list and the version it shows.
  std::shared_ptr<const std::string> snapshot_;
  domain::EventId snapshot_of_{0, 0};
  /// The lists of the grants asked for at version grant_lists_of_, by canonical grant.
  static constexpr std::size_t max_grant_lists = 64;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> grant_lists_;
  domain::EventId grant_lists_of_{0, 0};
};

}  // namespace relay::infra
