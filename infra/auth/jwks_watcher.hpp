#pragma once
// Keeps RELAY_JWT_JWKS_FILE's keys current while the relay runs, so an identity provider's
// key rotation needs no restart. A mounted Kubernetes Secret is replaced by a symlink swap,
// an editor writes a new file, an operator sends SIGHUP: the file is looked at once a
// second (its device, inode, size and modification time, through symlinks) and re-read on
// any change or on SIGHUP. A file that does not read or parse is logged and the keys in use
// are kept; open streams are never touched (a token is checked when a stream opens, and the
// stream lasts until its own exp).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "infra/auth/jwk_set.hpp"
#include "service/hosted_service.hpp"
#include "service/telemetry/logger.hpp"

namespace relay::infra {

/// What tells one version of a file from the next, as stat(2) sees it through symlinks.
struct FileStamp {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = -1;  ///< -1: the file could not be looked at
  std::int64_t modified_ns = 0;
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

/// The stamp of `path` now (size -1 when it is missing or unreadable).
FileStamp stamp_of(const std::string& path);

class JwksWatcher final : public service::HostedService {
 public:
  JwksWatcher(boost::asio::any_io_executor executor, std::string path,
              std::shared_ptr<JwkRing> ring, service::Logger& logger,
              std::chrono::milliseconds poll = std::chrono::milliseconds(1000));

  [[nodiscard]] std::string_view name() const override { return "jwks-watcher"; }
  void start() override;
  boost::asio::awaitable<void> stop() override;

  /// Reads the file now (what a change and SIGHUP do); true when its keys are in use.
  /// `why`: "changed" or "SIGHUP", for the log line.
  bool reload(std::string_view why);

  /// Loads that failed (the old keys stayed in use), for tests and the log.
  [[nodiscard]] std::uint64_t failed_loads() const { return failed_loads_; }

 private:
  boost::asio::awaitable<void> watch();
  void await_sighup();

  std::string path_;
  std::shared_ptr<JwkRing> ring_;
  service::Logger& logger_;
  std::chrono::milliseconds poll_;
  boost::asio::steady_timer timer_;
  boost::asio::signal_set hangup_;
  FileStamp seen_;
  std::uint64_t failed_loads_ = 0;
  bool stopping_ = false;
};

}  // namespace relay::infra
