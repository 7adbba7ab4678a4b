// The early uploader's queue: order, one upload per digest, closing and
// stopping (engine/early_upload.h). No registry: see
// early_upload_integration_test.cpp for the uploads themselves.
#include "engine/early_upload.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>

using namespace kiln;

namespace {

registry::Layer layer(const std::string& digest) {
  registry::Layer l;
  l.descriptor.digest = digest;
  l.file = "/work/layers/" + digest.substr(7);
  return l;
}

}  // namespace

TEST(UploadQueue, HandsLayersOutInTheOrderOfferedEachDigestOnce) {
  engine::UploadQueue q;
  EXPECT_TRUE(q.push(layer("sha256:a")));
  EXPECT_TRUE(q.push(layer("sha256:b")));
  EXPECT_FALSE(q.push(layer("sha256:a")));  // a base layer repeated, or offered again
  q.close();
  auto first = q.pop();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->descriptor.digest, "sha256:a");
  EXPECT_EQ(first->file, "/work/layers/a");
  auto second = q.pop();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->descriptor.digest, "sha256:b");
  EXPECT_FALSE(q.pop());  // closed and empty
}

TEST(UploadQueue, TakesNothingOnceClosed) {
  engine::UploadQueue q;
  q.close();
  EXPECT_FALSE(q.push(layer("sha256:a")));
  EXPECT_FALSE(q.pop());
}

TEST(UploadQueue, APopWaitsForALayerOrTheClose) {
  engine::UploadQueue q;
  auto waiting = std::async(std::launch::async, [&q] { return q.pop(); });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  q.push(layer("sha256:c"));
  auto got = waiting.get();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->descriptor.digest, "sha256:c");

  auto after = std::async(std::launch::async, [&q] { return q.pop(); });
  EXPECT_EQ(after.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  q.close();
  EXPECT_FALSE(after.get());
}

TEST(UploadQueue, StopDropsWhatIsQueuedAndWakesAWaitingPop) {
  engine::UploadQueue q;
  q.push(layer("sha256:a"));
  q.push(layer("sha256:b"));
  q.stop();
  EXPECT_FALSE(q.pop());
  EXPECT_FALSE(q.push(layer("sha256:c")));

  engine::UploadQueue idle;
  auto waiting = std::async(std::launch::async, [&idle] { return idle.pop(); });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  idle.stop();
  EXPECT_FALSE(waiting.get());
}

TEST(WorthSendingEarly, ALayerOnDiskGoesEverywhere) {
  auto dest = registry::parse_reference("reg.example:5000/app:v1");
  registry::Layer built = layer("sha256:a");
  EXPECT_TRUE(engine::worth_sending_early(built, true, dest));
  registry::Layer base = layer("sha256:b");
  base.source = registry::parse_reference("docker.io/library/debian:12");
  EXPECT_TRUE(engine::worth_sending_early(base, true, dest));  // a copy was kept (--tar-path) or cached
}

TEST(WorthSendingEarly, ABaseLayerOnlyItsRegistryHasGoesOnlyWhereItCanBeMounted) {
  registry::Layer base = layer("sha256:b");
  base.source = registry::parse_reference("reg.example:5000/library/debian:12");
  EXPECT_TRUE(engine::worth_sending_early(base, false, registry::parse_reference("reg.example:5000/app:v1")));
  EXPECT_FALSE(engine::worth_sending_early(base, false, registry::parse_reference("other.example/app:v1")));
  registry::Layer nowhere = layer("sha256:c");  // neither on disk nor anywhere to mount from
  EXPECT_FALSE(engine::worth_sending_early(nowhere, false, registry::parse_reference("reg.example:5000/app:v1")));
}
