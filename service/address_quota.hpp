#pragma once
// RELAY_MAX_CLIENTS_PER_IP: how many streams one client address may hold at once. A stream
// holds a Slot for its life; the count of an address goes when its last slot does, so the
// table holds only addresses with open streams. With no limit (0, the default: behind a
// balancer every client shares its address) nothing is counted at all.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace relay::service {

class AddressQuota {
  using Table = std::unordered_map<std::string, std::size_t>;

 public:
  /// One admitted stream of one address; gives its place back when destroyed. It shares
  /// the table, so a stream that outlives the server (torn down later) is still safe.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&&) noexcept = default;
    Slot& operator=(Slot&& other) noexcept {
      if (this != &other) {
        release();
        table_ = std::move(other.table_);
        entry_ = other.entry_;
      }
      return *this;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }

   private:
    friend class AddressQuota;
    Slot(std::shared_ptr<Table> table, Table::value_type* entry)
        : table_(std::move(table)), entry_(entry) {}
    void release() {
      if (!table_) return;
      // Erased through an iterator: erasing by a key that lives in the erased node is not safe.
      if (--entry_->second == 0) table_->erase(table_->find(entry_->first));
      table_.reset();
    }
    std::shared_ptr<Table> table_;
    Table::value_type* entry_ = nullptr;  ///< Stable: unordered_map never moves its elements.
  };

  /// `limit`: streams per address; 0 = no limit.
  explicit AddressQuota(std::size_t limit) : limit_(limit) {}

  /// A slot for one more stream of `address`, or nullopt when it holds `limit` already.
  [[nodiscard]] std::optional<Slot> acquire(std::string_view address) {
    if (limit_ == 0) return Slot{};
    auto [it, inserted] = table_->try_emplace(std::string(address), 0);
    if (it->second >= limit_) return std::nullopt;
    ++it->second;
    return Slot{table_, &*it};
  }

  [[nodiscard]] std::size_t limit() const { return limit_; }
  /// Streams `address` holds now.
  [[nodiscard]] std::size_t held(const std::string& address) const {
    auto it = table_->find(address);
    return it == table_->end() ? 0 : it->second;
  }

 private:
  std::size_t limit_;
  std::shared_ptr<Table> table_ = std::make_shared<Table>();
};

}  // namespace relay::service
