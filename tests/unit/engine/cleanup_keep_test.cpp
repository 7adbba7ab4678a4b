#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/cleanup_keep.h"

using namespace kiln::engine;
using testing::ElementsAre;

TEST(CleanupKeep, ContextCacheSecretsAndTlsFilesAsCleanInImagePaths) {
  CleanupInputs in;
  in.cache_dir = "/cache/";
  in.secrets = kiln::steps::parse_secret_flags({"id=npm,src=/run/ci/npmrc", "id=tok,env=TOKEN"});
  in.context_dir = "/workspace//app/.";
  in.tls_files = {"/etc/ssl/certs/ca.crt", "", "/etc/ssl/certs/ca.crt"};
  EXPECT_THAT(cleanup_keep_paths(in),
              ElementsAre("/workspace/app", "/cache", "/run/ci/npmrc", "/etc/ssl/certs/ca.crt"));
}

TEST(CleanupKeep, RelativeFlagsAreRelativeToTheWorkingDirectory) {
  CleanupInputs in;
  in.cache_dir = "cache";
  in.cwd = "/workspace";
  in.context_dir = "/workspace";
  EXPECT_THAT(cleanup_keep_paths(in), ElementsAre("/workspace", "/workspace/cache"));
}

TEST(CleanupKeep, TheRootItselfAndPathsOutsideTheRootAreLeftOut) {
  CleanupInputs in;
  in.cache_dir = "/elsewhere/cache";
  in.root = "/tmp/root";
  in.context_dir = "/tmp/root";
  in.tls_files = {"/tmp/root/kaniko/ssl/certs/ca-certificates.crt", "/tmp/rootx/ca"};
  EXPECT_THAT(cleanup_keep_paths(in), ElementsAre("/kaniko/ssl/certs/ca-certificates.crt"));
}

TEST(CleanupKeep, RegistryTlsFilesComeFromTheClientOptions) {
  kiln::registry::Options r;
  r.ca_file = "/kaniko/ssl/certs/ca-certificates.crt";
  r.ca_dir = "/etc/ssl/certs";
  r.registry_ca = {{"reg:5000", "/certs/reg.crt"}};
  r.registry_client_cert = {{"reg:5000", {"/certs/client.crt", "/certs/client.key"}}};
  EXPECT_THAT(tls_files(r), ElementsAre("/kaniko/ssl/certs/ca-certificates.crt", "/etc/ssl/certs", "/certs/reg.crt",
                                        "/certs/client.crt", "/certs/client.key"));
}
