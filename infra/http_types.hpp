#pragma once
// The HTTP message types every handler shares.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace relay::infra {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

}  // namespace relay::infra
