// RELAY_MAX_CLIENTS_PER_IP's table: places per address, given back by the slot, the table
// holding only addresses with open streams, and no counting at all without a limit.
#include "service/address_quota.hpp"

#include <optional>
#include <vector>

#include <doctest/doctest.h>

using relay::service::AddressQuota;

TEST_CASE("an address gets `limit` places; a freed place can be taken again") {
  AddressQuota quota(2);
  auto a = quota.acquire("10.0.0.1");
  auto b = quota.acquire("10.0.0.1");
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(quota.acquire("10.0.0.1"));
  CHECK(quota.acquire("10.0.0.2"));  // its own count
  CHECK(quota.held("10.0.0.1") == 2);
  a.reset();
  CHECK(quota.held("10.0.0.1") == 1);
  CHECK(quota.acquire("10.0.0.1"));
}

TEST_CASE("the last slot of an address removes it; moved slots give their place back once") {
  AddressQuota quota(3);
  std::vector<AddressQuota::Slot> slots;
  for (int i = 0; i < 3; ++i) slots.push_back(std::move(*quota.acquire("10.0.0.9")));
  CHECK(quota.held("10.0.0.9") == 3);
  AddressQuota::Slot moved = std::move(slots[0]);
  slots[1] = std::move(slots[2]);  // the overwritten slot gives its place back
  CHECK(quota.held("10.0.0.9") == 2);
  slots.clear();
  CHECK(quota.held("10.0.0.9") == 1);
  moved = {};
  CHECK(quota.held("10.0.0.9") == 0);
}

TEST_CASE("a slot that outlives its quota is still safe to drop") {
  std::optional<AddressQuota::Slot> slot;
  {
    AddressQuota quota(1);
    slot = quota.acquire("10.0.0.1");
    REQUIRE(slot);
  }
  slot.reset();  // the table is shared with the slot: no use after free (ASan would say)
}

TEST_CASE("limit 0 counts nothing: every request gets an empty slot") {
  AddressQuota quota(0);
  for (int i = 0; i < 100; ++i) CHECK(quota.acquire("10.0.0.1"));
  CHECK(quota.held("10.0.0.1") == 0);
}
