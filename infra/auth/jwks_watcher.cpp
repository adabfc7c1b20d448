#include "infra/auth/jwks_watcher.hpp"

#include <csignal>

#include <sys/stat.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

namespace relay::infra {

namespace asio = boost::asio;

FileStamp stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::int64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

JwksWatcher::JwksWatcher(asio::any_io_executor executor, std::string path,
                         std::shared_ptr<JwkRing> ring, service::Logger& logger,
                         std::chrono::milliseconds poll)
    : path_(std::move(path)),
      ring_(std::move(ring)),
      logger_(logger),
      poll_(poll),
      timer_(executor),
      hangup_(executor, SIGHUP) {}

void JwksWatcher::start() {
  // The keys in use were read at start-up (the configuration refuses a bad file): this
  // stamp is theirs, near enough; a change in between is seen at the first look.
  seen_ = stamp_of(path_);
  asio::co_spawn(timer_.get_executor(), watch(), [this](const std::exception_ptr& e) {
    service::log_failure(logger_, "jwks watcher", e);
  });
  await_sighup();
}

asio::awaitable<void> JwksWatcher::stop() {
  stopping_ = true;
  timer_.cancel();
  boost::system::error_code ignored;
  hangup_.cancel(ignored);
  co_return;
}

void JwksWatcher::await_sighup() {
  hangup_.async_wait([this](const boost::system::error_code& ec, int /*signal*/) {
    if (ec || stopping_) return;
    reload("SIGHUP");
    await_sighup();
  });
}

asio::awaitable<void> JwksWatcher::watch() {
  while (!stopping_) {
    timer_.expires_after(poll_);
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (stopping_) break;
    const auto now = stamp_of(path_);
    if (now == seen_) continue;
    seen_ = now;
    // A file caught between its removal and its replacement is looked at again next time.
    if (now.size < 0) continue;
    reload("changed");
  }
}

bool JwksWatcher::reload(std::string_view why) {
  auto loaded = read_jwk_set_file(path_);
  if (auto* error = std::get_if<std::string>(&loaded)) {
    ++failed_loads_;
    logger_.error("key set not loaded; the keys in use are kept",
                  {{"file", path_}, {"trigger", why}, {"error", *error},
                   {"keys_in_use", static_cast<std::uint64_t>(ring_->keys()->size())}});
    return false;
  }
  auto& keys = std::get<JwkSet>(loaded);
  std::string kids;
  for (const auto& key : keys) kids += (kids.empty() ? "" : ",") + key.kid;
  ring_->replace(std::move(keys));
  logger_.info("key set loaded", {{"file", path_}, {"trigger", why}, {"kids", kids}});
  return true;
}

}  // namespace relay::infra
