#include "infra/routes/api_routes.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <fmt/format.h>

#include "infra/http/http_responses.hpp"

namespace relay::infra {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace ptype = proto::problem_type;

asio::awaitable<Response> ApiRoutes::handle(const Request& req, std::string_view client,
                                            Listener listener) {
  Response res = co_await dispatch(req, client, listener);
  // The admin listener is for operators' tools, not pages: no cross-origin reads there.
  if (listener == Listener::public_api) apply_cors(req, config_.cors_origins, res);
  if (req.method() == http::verb::head) {
    // The head GET would send, Content-Length included, and no body (RFC 9110 9.3.2).
    const auto length = res.body().size();
    res.body().clear();
    res.content_length(length);
  }
  co_return res;
}

asio::awaitable<Response> ApiRoutes::dispatch(const Request& req, std::string_view client,
                                              Listener listener) {
  const auto path = target_path(req.target());
  const auto method = req.method();
  if (auto res = admin_.handle(req, path, client, listener)) co_return std::move(*res);
  if (listener == Listener::admin) {
    co_return problem_response(req, {404, ptype::not_found, "Not Found",
                                     fmt::format("no route for {} on the admin listener", path),
                                     ""});
  }
  if (method == http::verb::post && (path == route::publish || path == route::domain_events)) {
    co_return co_await publish_.handle(
        req, path == route::publish ? route::publish : route::domain_events, client);
  }
  if (auto res = read_.handle(req, path, client)) co_return std::move(*res);
  if (auto allow = allowed_methods(path); !allow.empty()) {
    auto res =
        problem_response(req, {405, ptype::method_not_allowed, "Method Not Allowed",
                               // A method is a short token; a long one is not echoed back whole.
                               fmt::format("{} does not accept {}", path,
                                           std::string_view(req.method_string()).substr(0, 32)),
                               ""});
    res.set(http::field::allow, allow);
    co_return res;
  }
  co_return problem_response(
      req, {404, ptype::not_found, "Not Found", fmt::format("no route for {}", path), ""});
}

}  // namespace relay::infra
