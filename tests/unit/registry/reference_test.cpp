#include "registry/reference.h"

#include <gtest/gtest.h>

#include "base/error.h"

using namespace kiln::registry;

namespace {
const std::string kD = "sha256:" + std::string(64, 'a');

void expect_ref(const std::string& in, const std::string& reg, const std::string& repo, const std::string& tag,
                const std::string& digest, const std::string& str) {
  SCOPED_TRACE(in);
  auto r = parse_reference(in);
  EXPECT_EQ(r.registry, reg);
  EXPECT_EQ(r.repository, repo);
  EXPECT_EQ(r.tag, tag);
  EXPECT_EQ(r.digest, digest);
  EXPECT_EQ(r.str(), str);
}
}  // namespace

TEST(Reference, DockerHubNormalisation) {
  expect_ref("busybox", "index.docker.io", "library/busybox", "latest", "", "index.docker.io/library/busybox:latest");
  expect_ref("busybox:1.36", "index.docker.io", "library/busybox", "1.36", "", "index.docker.io/library/busybox:1.36");
  expect_ref("docker.io/busybox", "index.docker.io", "library/busybox", "latest", "",
             "index.docker.io/library/busybox:latest");
  expect_ref("docker.io/library/busybox", "index.docker.io", "library/busybox", "latest", "",
             "index.docker.io/library/busybox:latest");
  expect_ref("index.docker.io/bitnami/redis:7", "index.docker.io", "bitnami/redis", "7", "",
             "index.docker.io/bitnami/redis:7");
  expect_ref("user/app", "index.docker.io", "user/app", "latest", "", "index.docker.io/user/app:latest");
  EXPECT_EQ(parse_reference("busybox").repo_str(), "index.docker.io/library/busybox");
  EXPECT_TRUE(parse_reference("busybox").is_docker_hub());
}

TEST(Reference, RegistriesAndPorts) {
  expect_ref("127.0.0.1:5000/app", "127.0.0.1:5000", "app", "latest", "", "127.0.0.1:5000/app:latest");
  expect_ref("localhost/app:v1", "localhost", "app", "v1", "", "localhost/app:v1");
  expect_ref("localhost:5000/a/b/c:v1", "localhost:5000", "a/b/c", "v1", "", "localhost:5000/a/b/c:v1");
  expect_ref("gcr.io/project/img", "gcr.io", "project/img", "latest", "", "gcr.io/project/img:latest");
  expect_ref("Registry.Example.COM/x", "registry.example.com", "x", "latest", "", "registry.example.com/x:latest");
  expect_ref("[::1]:5000/app:t", "[::1]:5000", "app", "t", "", "[::1]:5000/app:t");
  // A first component without dot or port is a Hub namespace, not a host.
  expect_ref("myregistry/app", "index.docker.io", "myregistry/app", "latest", "", "index.docker.io/myregistry/app:latest");
}

TEST(Reference, Digests) {
  expect_ref("busybox@" + kD, "index.docker.io", "library/busybox", "", kD, "index.docker.io/library/busybox@" + kD);
  expect_ref("reg:5000/app:v2@" + kD, "reg:5000", "app", "v2", kD, "reg:5000/app:v2@" + kD);
  EXPECT_EQ(parse_reference("reg:5000/app@" + kD).identifier(), kD);
  EXPECT_EQ(parse_reference("reg:5000/app:v2@" + kD).identifier(), kD);
  EXPECT_EQ(parse_reference("reg:5000/app:v2").identifier(), "v2");
  auto pinned = with_digest(parse_reference("reg.io/app:v1"), kD);
  EXPECT_EQ(pinned.str(), "reg.io/app@" + kD);
}

TEST(Reference, ComponentSeparators) {
  EXPECT_NO_THROW(parse_reference("reg/a.b_c__d-e---f/x"));
  EXPECT_EQ(parse_reference("a_b").repository, "library/a_b");
  EXPECT_NO_THROW(parse_reference("reg/app:V1.0-rc_1"));
}

TEST(Reference, Rejects) {
  for (const std::string& bad : std::vector<std::string>{"", "Busybox", "reg/App", "reg/app:", "reg/app:-tag", "reg/app@sha256:abc",
                          "reg/app@md5:" + std::string(32, 'a'), "reg//app", "reg/app/", "/app", "reg/-app",
                          "reg/app_", "reg/a..b", "reg/a___b", "reg/app:" + std::string(129, 'x'), "reg/a b",
                          "reg:/app", "-reg.io/app", "reg/app:t@" + kD + "x"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(parse_reference(bad), kiln::UsageError);
  }
}

TEST(Reference, ErrorsNameTheInputAndProblem) {
  try {
    parse_reference("reg.io/MyApp:v1");
    FAIL();
  } catch (const kiln::UsageError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("reg.io/MyApp:v1"), std::string::npos) << m;
    EXPECT_NE(m.find("lowercase"), std::string::npos) << m;
  }
}

TEST(Reference, TooLong) {
  EXPECT_THROW(parse_reference("reg.io/" + std::string(250, 'a')), kiln::UsageError);
}
