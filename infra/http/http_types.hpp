#pragma once
// The HTTP message types every handler shares.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "infra/http/shared_text_body.hpp"

namespace relay::infra {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
/// A response's body may be shared with other responses (the read model's snapshot).
using Response = boost::beast::http::response<SharedTextBody>;

}  // namespace relay::infra
