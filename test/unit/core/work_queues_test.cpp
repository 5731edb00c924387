#include "core/work_queues.hpp"

#include <gtest/gtest.h>

#include <set>

namespace mc::core {
namespace {

// Work queues are blocks of 128 consecutive ids, in turn: neighbouring events share a work
// queue (and a batch reads neighbouring heap pages), and every work queue gets its share.
TEST(WorkQueues, ConsecutiveIdsShareAWorkQueueInBlocks) {
  EXPECT_EQ(work_queue_of(0), 0);
  EXPECT_EQ(work_queue_of(127), 0);
  EXPECT_EQ(work_queue_of(128), 1);
  EXPECT_EQ(work_queue_of(7 * 128 + 5), 7);
  EXPECT_EQ(work_queue_of(8 * 128), 0);
  for (std::int64_t block = 0; block < 64; ++block)
    for (std::int64_t k = 0; k < 128; ++k)
      ASSERT_EQ(work_queue_of(block * 128 + k), work_queue_of(block * 128)) << block << " " << k;
}

TEST(WorkQueues, EveryWorkQueueTakesItsTurn) {
  std::set<int> seen;
  for (std::int64_t id = 0; id < kWorkQueues * 128; id += 128) seen.insert(work_queue_of(id));
  EXPECT_EQ(static_cast<int>(seen.size()), kWorkQueues);
}

// The instance id in the high byte (mc.set_instance_id) does not change the work queue.
TEST(WorkQueues, InstanceHighByteIsIgnored) {
  const std::int64_t instance = std::int64_t{3} << 56;
  for (std::int64_t id : {0, 127, 128, 1000, 123456})
    EXPECT_EQ(work_queue_of(instance + id), work_queue_of(id));
}

TEST(WorkQueues, LockKeysDoNotCollide) {
  std::set<std::int32_t> keys;
  for (int q = 0; q < kQueueCount; ++q)
    for (int w = 0; w < kWorkQueues; ++w) keys.insert(work_queue_lock_key(q, w));
  EXPECT_EQ(static_cast<int>(keys.size()), kQueueCount * kWorkQueues);
  EXPECT_EQ(keys.count(kStatusCopyLockKey), 0u);
}

}  // namespace
}  // namespace mc::core
