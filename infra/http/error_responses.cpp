#include "infra/http/error_responses.hpp"

#include <boost/beast/http/field.hpp>

#include "infra/http/http_responses.hpp"

namespace relay::infra {

namespace http = boost::beast::http;
namespace ptype = proto::problem_type;

int status_for(relay::error reason) {
  switch (reason) {
    case error::unknown_worker:
    case error::duplicate_worker:
    case error::worker_terminated:
    case error::too_many_workers:
      return 409;
    case error::invalid_transition:
      return 422;
    case error::outside_grant:
      return 403;
    case error::draining:
    case error::too_many_subscribers:
    case error::bus_unavailable:
    case error::catching_up:
    case error::not_replicated:
      return 503;
  }
  return 500;
}

proto::Problem problem_for(relay::error reason, std::string detail) {
  auto fill = [&](std::string_view type, std::string title, std::string fallback) {
    return proto::Problem{status_for(reason), type, std::move(title),
                          detail.empty() ? std::move(fallback) : std::move(detail), ""};
  };
  switch (reason) {
    case error::unknown_worker:
      return fill(ptype::unknown_worker, "Conflict", "the worker does not exist");
    case error::duplicate_worker:
      return fill(ptype::duplicate_worker, "Conflict", "the worker already exists");
    case error::worker_terminated:
      return fill(ptype::worker_terminated, "Conflict", "the worker is terminated");
    case error::invalid_transition:
      return fill(ptype::invalid_transition, "Unprocessable Content",
                  "the worker's lifecycle does not allow this");
    case error::draining:
      return fill(ptype::draining, "Service Unavailable",
                  "the relay is shutting down; retry against another replica");
    case error::too_many_subscribers:
      return fill(ptype::too_many_subscribers, "Service Unavailable",
                  "this relay has reached its subscriber limit (RELAY_MAX_CLIENTS)");
    case error::too_many_workers:
      return fill(ptype::too_many_workers, "Conflict", "the read model holds its maximum of workers");
    case error::bus_unavailable:
      return fill(ptype::bus_unavailable, "Service Unavailable",
                  "the event log is unavailable; nothing was stored, retry later");
    case error::not_replicated:
      return fill(ptype::bus_unavailable, "Service Unavailable",
                  "the events are stored but not yet confirmed on the Redis replicas "
                  "(RELAY_BUS_WAIT_REPLICAS); a retry with the same CloudEvent ids or "
                  "Idempotency-Key is safe and answers the original ids");
    case error::outside_grant:
      return fill(ptype::forbidden, "Forbidden", "the token does not allow this");
    case error::catching_up:
      return fill(ptype::catching_up, "Service Unavailable",
                  "this replica is still catching up with the event log and cannot place a "
                  "stream yet; retry (another replica, or this one in a moment)");
  }
  return fill(ptype::bad_request, "Internal Server Error", "unexpected refusal");
}

Response refusal_response(const Request& req, const proto::Problem& problem) {
  auto res = problem_response(req, problem);
  // A drain lasts the shutdown grace and a full relay frees slots as clients leave: either
  // is worth a retry soon, not at once (which would only meet the same answer).
  if (problem.status == 503) {
    res.set(http::field::retry_after, problem.type == ptype::too_many_subscribers ? "5" : "1");
  }
  // The token is valid but does not reach this far (RFC 6750 3.1).
  if (problem.status == 403) {
    res.set(http::field::www_authenticate,
            R"(Bearer realm="sse-relay", error="insufficient_scope")");
  }
  return res;
}

Response refusal_response(const Request& req, relay::error reason, std::string detail) {
  return refusal_response(req, problem_for(reason, std::move(detail)));
}

}  // namespace relay::infra
