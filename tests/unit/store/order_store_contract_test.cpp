// One contract for every OrderStore implementation (docs/CONTRIBUTING.md: one suite per seam).
#include "common/base64.hpp"
#include "common/clock.hpp"
#include "store/cursor.hpp"
#include "store/order_store.hpp"
#include "store_backends.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

namespace pulseboard::store {
namespace {

template <class T>
T value(StoreResult<T> r) {
  if (auto* err = std::get_if<StoreError>(&r)) {
    ADD_FAILURE() << "store error " << to_string(*err);
    return T{};
  }
  return std::get<T>(std::move(r));
}

template <class T>
std::optional<StoreError> error(const StoreResult<T>& r) {
  if (auto* err = std::get_if<StoreError>(&r)) return *err;
  return std::nullopt;
}

class OrderStoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string skip;
    store_ = testing::open_backend(GetParam(), file_, skip);
    if (!store_) GTEST_SKIP() << skip;
  }

  Order make(double amount, OrderStatus status = OrderStatus::pending) {
    return value(store_->create({amount, status, category_}, std::nullopt, "")).order;
  }

  std::vector<Order> all_pages(ListQuery q) {
    std::vector<Order> out;
    for (int guard = 0; guard < 100; ++guard) {
      auto page = value(store_->list(q));
      out.insert(out.end(), page.orders.begin(), page.orders.end());
      if (!page.next_cursor) return out;
      q.cursor = page.next_cursor;
    }
    ADD_FAILURE() << "pagination did not end";
    return out;
  }

  std::unique_ptr<testing::TempSqliteFile> file_;
  std::unique_ptr<OrderStore> store_;
  std::string category_ = testing::unique_category();
};

TEST_P(OrderStoreContract, CreateThenGetReturnsTheSameOrder) {
  const auto before = now_unix_ms();
  auto created = value(store_->create({12.5, OrderStatus::completed, category_}, std::nullopt, ""));
  EXPECT_TRUE(created.created);
  const Order& o = created.order;
  EXPECT_EQ(o.id.size(), 20u);
  EXPECT_EQ(o.amount, 12.5);
  EXPECT_EQ(o.status, OrderStatus::completed);
  EXPECT_EQ(o.category, category_);
  EXPECT_GE(o.created_at_ms, before);
  EXPECT_LE(o.created_at_ms, now_unix_ms());
  EXPECT_EQ(o.updated_at_ms, o.created_at_ms);
  EXPECT_EQ(value(store_->get(o.id)), o);
}

TEST_P(OrderStoreContract, AmountsRoundTripExactly) {
  for (double amount : {0.0, 0.01, 19.99, 1234567.89, 999999999999.99}) {
    auto o = make(amount);
    EXPECT_EQ(value(store_->get(o.id)).amount, amount);
  }
}

TEST_P(OrderStoreContract, GetOfAnUnknownIdIsNotFound) {
  EXPECT_EQ(error(store_->get("no-such-order-000000")), StoreError::not_found);
}

TEST_P(OrderStoreContract, UpdateChangesOnlyThePatchedFields) {
  auto o = make(10);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));  // distinct updated_at
  auto u = value(store_->update(o.id, {OrderStatus::refunded, std::nullopt}));
  EXPECT_EQ(u.status, OrderStatus::refunded);
  EXPECT_EQ(u.amount, 10);
  EXPECT_EQ(u.created_at_ms, o.created_at_ms);
  EXPECT_GT(u.updated_at_ms, o.updated_at_ms);
  auto v = value(store_->update(o.id, {std::nullopt, 7.25}));
  EXPECT_EQ(v.status, OrderStatus::refunded);
  EXPECT_EQ(v.amount, 7.25);
  EXPECT_EQ(value(store_->get(o.id)), v);
}

TEST_P(OrderStoreContract, UpdateOfAnUnknownIdIsNotFound) {
  EXPECT_EQ(error(store_->update("no-such-order-000000", {OrderStatus::completed, {}})),
            StoreError::not_found);
}

TEST_P(OrderStoreContract, ListFiltersByStatusAndCategory) {
  auto a = make(1, OrderStatus::pending);
  auto b = make(2, OrderStatus::completed);
  auto c = make(3, OrderStatus::completed);
  value(store_->create({4, OrderStatus::completed, category_ + "-other"}, std::nullopt, ""));

  ListQuery q;
  q.category = category_;
  EXPECT_EQ(value(store_->list(q)).orders.size(), 3u);
  q.status = OrderStatus::completed;
  auto page = value(store_->list(q));
  ASSERT_EQ(page.orders.size(), 2u);
  std::set<std::string> ids{page.orders[0].id, page.orders[1].id};
  EXPECT_EQ(ids, (std::set<std::string>{b.id, c.id}));
  EXPECT_FALSE(page.next_cursor);
  q.status = OrderStatus::cancelled;
  EXPECT_TRUE(value(store_->list(q)).orders.empty());
}

TEST_P(OrderStoreContract, ListTimeRangeIsFromInclusiveToExclusive) {
  std::vector<Order> made;
  for (int i = 0; i < 4; ++i) {
    made.push_back(make(i + 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // distinct created_at
  }
  ListQuery q;
  q.category = category_;
  q.from_ms = made[1].created_at_ms;
  q.to_ms = made[3].created_at_ms;
  auto page = value(store_->list(q));
  ASSERT_EQ(page.orders.size(), 2u);
  EXPECT_EQ(page.orders[0].id, made[2].id);  // newest first
  EXPECT_EQ(page.orders[1].id, made[1].id);
}

TEST_P(OrderStoreContract, PaginationVisitsEveryOrderOnceNewestFirst) {
  std::set<std::string> made;
  for (int i = 0; i < 11; ++i) {
    made.insert(make(i).id);
    if (i % 4 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ListQuery q;
  q.category = category_;
  q.limit = 3;
  auto first = value(store_->list(q));
  EXPECT_EQ(first.orders.size(), 3u);
  ASSERT_TRUE(first.next_cursor);

  auto all = all_pages(q);
  ASSERT_EQ(all.size(), 11u);
  std::set<std::string> seen;
  for (const auto& o : all) seen.insert(o.id);
  EXPECT_EQ(seen, made);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](const Order& x, const Order& y) {
    return std::tie(x.created_at_ms, x.id) > std::tie(y.created_at_ms, y.id);
  }));
}

TEST_P(OrderStoreContract, ExactlyFullLastPageHasNoCursor) {
  for (int i = 0; i < 4; ++i) make(i);
  ListQuery q;
  q.category = category_;
  q.limit = 2;
  auto first = value(store_->list(q));
  ASSERT_TRUE(first.next_cursor);
  q.cursor = first.next_cursor;
  auto second = value(store_->list(q));
  EXPECT_EQ(second.orders.size(), 2u);
  EXPECT_FALSE(second.next_cursor);
}

TEST_P(OrderStoreContract, ForgedCursorIsRejected) {
  ListQuery q;
  q.cursor = "not a cursor";
  EXPECT_EQ(error(store_->list(q)), StoreError::invalid_cursor);
}

// Well-formed base64url of "<ms>:<id>" that no issued cursor holds: a time before 1970 or
// after year 9999, an id with bytes outside the id alphabet (not UTF-8, NUL, space). Every store
// refuses them as invalid_cursor (the API's 400), never with a database error (its 500).
TEST_P(OrderStoreContract, ForgedCursorsThatDecodeAreRejectedNotFailed) {
  using namespace std::string_literals;
  make(1);
  for (const std::string& plain :
       {"-99999999999999:AAAAAAAAAAAAAAAAAAAA"s, "-1:AAAAAAAAAAAAAAAAAAAA"s,
        "999999999999999999:AAAAAAAAAAAAAAAAAAAA"s, "1795838400000:\xff\xfe"s,
        "1795838400000:a\0b"s, "1795838400000:a b"s, "1795838400000:a'b"s}) {
    ListQuery q;
    q.category = category_;
    q.cursor = base64url_encode(plain);
    EXPECT_EQ(error(store_->list(q)), StoreError::invalid_cursor) << "cursor of " << plain;
  }
}

// Times the API accepts in from/to (ISO-8601 from year 0000) list normally on every store,
// although PostgreSQL has no year 0.
TEST_P(OrderStoreContract, TimeBoundsInYearZeroListNormally) {
  auto o = make(1);
  constexpr std::int64_t kYearZero = -62167219200000;  // 0000-01-01T00:00:00.000Z
  ListQuery q;
  q.category = category_;
  q.from_ms = kYearZero;
  auto page = value(store_->list(q));
  ASSERT_EQ(page.orders.size(), 1u);
  EXPECT_EQ(page.orders[0].id, o.id);
  q.from_ms.reset();
  q.to_ms = kYearZero + 1000;
  EXPECT_TRUE(value(store_->list(q)).orders.empty());
}

// Keys belong to their caller: the same key (even with the same request hash) from another
// subject is another request, and each subject's retries replay its own order.
TEST_P(OrderStoreContract, TheSameKeyFromTwoSubjectsIsTwoRequests) {
  const std::string key = "key-" + testing::unique_category();
  auto alice = value(
      store_->create({5, OrderStatus::pending, category_}, IdempotencyKey{"alice", key}, "h"));
  auto bob =
      value(store_->create({5, OrderStatus::pending, category_}, IdempotencyKey{"bob", key}, "h"));
  EXPECT_TRUE(alice.created);
  EXPECT_TRUE(bob.created);
  EXPECT_NE(alice.order.id, bob.order.id);
  auto alice_again = value(
      store_->create({5, OrderStatus::pending, category_}, IdempotencyKey{"alice", key}, "h"));
  EXPECT_FALSE(alice_again.created);
  EXPECT_EQ(alice_again.order, alice.order);
  auto bob_again =
      value(store_->create({5, OrderStatus::pending, category_}, IdempotencyKey{"bob", key}, "h"));
  EXPECT_FALSE(bob_again.created);
  EXPECT_EQ(bob_again.order, bob.order);
  // A conflict is the subject's own business too.
  EXPECT_EQ(error(store_->create({6, OrderStatus::pending, category_}, IdempotencyKey{"bob", key},
                                 "other")),
            StoreError::idempotency_conflict);
  auto carol = value(
      store_->create({6, OrderStatus::pending, category_}, IdempotencyKey{"carol", key}, "other"));
  EXPECT_TRUE(carol.created);
  ListQuery q;
  q.category = category_;
  EXPECT_EQ(value(store_->list(q)).orders.size(), 3u);
}

TEST_P(OrderStoreContract, IdempotentRetryWithTheSameRequestReturnsTheOriginal) {
  const IdempotencyKey key{"alice", "key-" + testing::unique_category()};
  auto first = value(store_->create({5, OrderStatus::pending, category_}, key, "hash-a"));
  EXPECT_TRUE(first.created);
  auto again = value(store_->create({5, OrderStatus::pending, category_}, key, "hash-a"));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.order, first.order);
  ListQuery q;
  q.category = category_;
  EXPECT_EQ(value(store_->list(q)).orders.size(), 1u);
}

TEST_P(OrderStoreContract, IdempotencyKeyReusedForADifferentRequestConflicts) {
  const IdempotencyKey key{"alice", "key-" + testing::unique_category()};
  value(store_->create({5, OrderStatus::pending, category_}, key, "hash-a"));
  EXPECT_EQ(error(store_->create({6, OrderStatus::pending, category_}, key, "hash-b")),
            StoreError::idempotency_conflict);
  ListQuery q;
  q.category = category_;
  EXPECT_EQ(value(store_->list(q)).orders.size(), 1u);
}

TEST_P(OrderStoreContract, ConcurrentRetriesCreateExactlyOneOrder) {
  const IdempotencyKey key{"alice", "key-" + testing::unique_category()};
  constexpr int kThreads = 6;
  std::vector<StoreResult<Created>> results(kThreads, StoreError::internal);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i)
      threads.emplace_back([&, i] {
        results[i] = store_->create({9, OrderStatus::pending, category_}, key, "same");
      });
  }
  int created = 0;
  std::set<std::string> ids;
  for (auto& r : results) {
    auto c = value(std::move(r));
    created += c.created;
    ids.insert(c.order.id);
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Stores, OrderStoreContract, ::testing::ValuesIn(testing::kBackends),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace pulseboard::store
