// The worker pool (worker_pool.hpp): every job runs, in parallel, and the destructor finishes
// what was queued.
#include "gateway/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>

TEST(WorkerPool, RunsEveryJobAndFinishesTheQueueOnDestruction) {
  std::atomic<int> done{0};
  {
    mcgw::WorkerPool pool(3);
    for (int i = 0; i < 100; ++i)
      pool.submit([&] {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        ++done;
      });
  }
  EXPECT_EQ(done, 100);
}

TEST(WorkerPool, JobsRunInParallel) {
  mcgw::WorkerPool pool(2);
  std::mutex m;
  std::condition_variable cv;
  int arrived = 0;
  std::atomic<int> met{0};
  for (int i = 0; i < 2; ++i)
    pool.submit([&] {
      std::unique_lock<std::mutex> lock(m);
      ++arrived;
      cv.notify_all();
      // Both are running at once, or this times out.
      if (cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived == 2; })) ++met;
    });
  for (int i = 0; i < 1000 && met < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(met, 2);
}

TEST(WorkerPool, AFailingJobDoesNotStopTheWorker) {
  std::atomic<int> done{0};
  {
    mcgw::WorkerPool pool(1);
    pool.submit([] { throw std::runtime_error("boom"); });
    pool.submit([&] { ++done; });
  }
  EXPECT_EQ(done, 1);
}
