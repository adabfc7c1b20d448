#pragma once
// A Beast body whose text may be shared by many responses: the read model's snapshot is
// serialised once per version and every response in flight points at that one string, so
// twenty clients that request a large snapshot and never read it hold one copy, not twenty.
// Ordinary responses own their text alone; the type reads like a string for callers.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>

namespace relay::infra {

class SharedText {
 public:
  SharedText() = default;
  SharedText(std::string text)  // NOLINT(google-explicit-constructor): reads like a string
      : text_(std::make_shared<const std::string>(std::move(text))) {}
  SharedText(const char* text)  // NOLINT(google-explicit-constructor)
      : SharedText(std::string(text)) {}
  explicit SharedText(std::shared_ptr<const std::string> text) : text_(std::move(text)) {}

  [[nodiscard]] std::string_view view() const {
    return text_ ? std::string_view(*text_) : std::string_view();
  }
  operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)
  [[nodiscard]] std::size_t size() const { return view().size(); }
  [[nodiscard]] bool empty() const { return view().empty(); }
  [[nodiscard]] std::size_t find(std::string_view what) const { return view().find(what); }
  void clear() { text_.reset(); }
  friend bool operator==(const SharedText& a, std::string_view b) { return a.view() == b; }
  /// Whether `other` holds the very same text (not a copy).
  [[nodiscard]] bool shares_with(const SharedText& other) const {
    return text_ && text_ == other.text_;
  }

 private:
  std::shared_ptr<const std::string> text_;
};

/// The Beast body of a SharedText (serialising only: the relay never parses responses).
struct SharedTextBody {
  using value_type = SharedText;

  static std::uint64_t size(const value_type& body) { return body.size(); }

  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;

    template <bool isRequest, class Fields>
    writer(const boost::beast::http::header<isRequest, Fields>& /*head*/, const value_type& body)
        : body_(body) {}

    void init(boost::beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
      ec = {};
      const auto text = body_.view();
      return {{boost::asio::const_buffer(text.data(), text.size()), false}};
    }

   private:
    const value_type& body_;
  };
};

}  // namespace relay::infra
