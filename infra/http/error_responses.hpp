#pragma once
// Reasons outward (STYLE "own code" 4): the one place a relay::error becomes an HTTP status,
// a problem type and, for 503s, a Retry-After.
#include <string>

#include "infra/http/http_types.hpp"
#include "proto/problem.hpp"
#include "service/relay_error.hpp"

namespace relay::infra {

/// 409 for a conflict with a worker's state, 422 for a lifecycle the worker cannot take,
/// 403 for a request outside the token's grant, 503 for draining, a full relay or an
/// unavailable event log.
int status_for(relay::error reason);

/// The problem for `reason`; `detail` empty: a default sentence that says what to do.
proto::Problem problem_for(relay::error reason, std::string detail);

/// The problem+json answer for `problem` (built by problem_for); 503s get Retry-After.
Response refusal_response(const Request& req, const proto::Problem& problem);

/// problem_for + refusal_response.
Response refusal_response(const Request& req, relay::error reason, std::string detail);

}  // namespace relay::infra
