#pragma once
// Building the relay's HTTP answers: JSON, text, problem+json, CORS.
#include <string>
#include <string_view>
#include <vector>

#include "infra/http/http_types.hpp"
#include "proto/problem.hpp"

namespace relay::infra {

/// A response with `body` and its content type, sized and tagged with the server name.
Response make_response(const Request& req, boost::beast::http::status status,
                       std::string_view content_type, SharedText body);

/// application/json.
Response json_response(const Request& req, boost::beast::http::status status, SharedText body);

/// application/problem+json from a problem (its status is the response status).
Response problem_response(const Request& req, const proto::Problem& problem);

/// The Origin to echo in Access-Control-Allow-Origin, or empty when not allowed.
std::string allowed_origin(const Request& req, const std::vector<std::string>& cors_origins);

/// True when answers depend on the request's Origin: an allowlist without `*`.
bool varies_by_origin(const std::vector<std::string>& cors_origins);

/// Adds CORS headers to `res` when the request's Origin is allowed, and `Vary: Origin`
/// whenever answers depend on it.
void apply_cors(const Request& req, const std::vector<std::string>& cors_origins, Response& res);

/// True when the Content-Type's media type (parameters ignored, case-insensitive) is `type`.
bool has_media_type(const Request& req, std::string_view type);

}  // namespace relay::infra
