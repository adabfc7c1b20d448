#pragma once
// A real redis-server on a free loopback port for the tests that need one, in a temporary
// directory of its own; stopped (SIGKILL) and removed when the object goes.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace relay::test {

class RedisServer {
 public:
  /// `appendonly`: AOF on (`appendfsync always`) for the durability tests.
  explicit RedisServer(bool appendonly = false) : appendonly_(appendonly) {
    dir_ = std::filesystem::temp_directory_path() /
           ("sse-relay-redis-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(dir_);
    port_ = free_port();
    start();
  }
  ~RedisServer() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }

  /// SIGKILL: as a crash; the data on disk (AOF) stays for a restart.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  /// Starts again on the same port and directory.
  void start() {
    std::vector<std::string> args{"redis-server", "--port", std::to_string(port_), "--bind",
                                  "127.0.0.1",    "--dir",  dir_.string(),         "--save",
                                  "",             "--appendonly", appendonly_ ? "yes" : "no",
                                  "--appendfsync", "always", "--logfile", (dir_ / "log").string()};
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("redis-server", argv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      boost::asio::io_context io;
      boost::asio::ip::tcp::socket socket(io);
      boost::system::error_code ec;
      socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
      if (!ec) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at start (is it installed?)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("redis-server did not listen");
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  static std::uint16_t free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
  }

  bool appendonly_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace relay::test
