#include "infra/routes/read_model_budget.hpp"

#include <doctest/doctest.h>

using relay::infra::ReadModelBudget;

TEST_CASE("a read-model body counts against the budget until its last holder lets go") {
  ReadModelBudget budget(1000);
  CHECK(budget.admits(5000));  // nothing pinned: one answer is always allowed
  std::string body(600, 'a');
  body.reserve(700);  // the allocation is what is pinned, spare capacity included
  const auto held = body.capacity();
  REQUIRE(held >= 700);
  auto list = budget.pin(std::move(body));
  CHECK(budget.pinned() == held);
  CHECK(budget.admits(1000 - held));
  CHECK_FALSE(budget.admits(1000 - held + 1));
  {
    auto shared = list;  // a second response to the same version: no more bytes
    CHECK(budget.pinned() == held);
    list.reset();
    CHECK(budget.pinned() == held);  // still held by the unread response
  }
  CHECK(budget.pinned() == 0);
  CHECK(budget.admits(1000));
}

TEST_CASE("a body outliving its budget object still un-counts safely") {
  std::shared_ptr<const std::string> survivor;
  {
    ReadModelBudget budget(1000);
    survivor = budget.pin("kept by a response still being written");
  }
  CHECK(*survivor == "kept by a response still being written");
  survivor.reset();  // must not touch freed memory (ASan would say so)
}
