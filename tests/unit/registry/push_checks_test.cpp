// The push permission check (an upload session opened and cancelled) and
// immutable-tag refusals, against a scripted registry.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "../http/test_server.h"
#include "registry/client.h"
#include "registry/push_image.h"
#include "registry/status_error.h"
#include "test_support.h"

using namespace kiln;
using namespace kiln::registry;
using kiln::testing::CapturedLog;
using kiln::testing::Reply;
using kiln::testing::SeenRequest;
using kiln::testing::TestServer;

namespace {

Options fast_options() {
  Options o;
  o.retry_initial_delay = std::chrono::milliseconds(10);
  o.ca_file.clear();
  return o;
}

std::string host_of(const TestServer& s) { return "127.0.0.1:" + std::to_string(s.port()); }

}  // namespace

TEST(ImmutableTags, RecognisedInTheRegistriesWordings) {
  // ECR
  EXPECT_TRUE(is_immutable_tag_refusal(400, R"({"errors":[{"code":"TAG_INVALID","message":"The image tag 'v1' already )"
                                            R"(exists in the 'app' repository and cannot be overwritten because the )"
                                            R"(repository is immutable."}]})"));
  // Harbor
  EXPECT_TRUE(is_immutable_tag_refusal(412, R"({"errors":[{"code":"PRECONDITION","message":"Failed to process request )"
                                            R"(due to 'v1' configured as immutable."}]})"));
  EXPECT_FALSE(is_immutable_tag_refusal(400, R"({"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid"}]})"));
  EXPECT_FALSE(is_immutable_tag_refusal(500, "immutable"));
}

TEST(PushPermission, OpensAndCancelsAnUploadSession) {
  std::mutex mu;
  std::vector<std::string> seen;
  TestServer srv([&](const SeenRequest& r) {
    std::lock_guard lk(mu);
    seen.push_back(r.method + " " + r.target);
    if (r.target == "/v2/") return Reply{200, {}, "{}"};
    if (r.method == "POST" && r.target == "/v2/team/app/blobs/uploads/")
      return Reply{202, {{"Location", "/v2/team/app/blobs/uploads/abc?_state=x"}}, ""};
    if (r.method == "DELETE") return Reply{204, {}, ""};
    if (r.method == "POST" && r.target == "/v2/team/ro/blobs/uploads/")
      return Reply{403, {}, R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})"};
    return Reply{404, {}, ""};
  });
  CapturedLog log;
  Client c(fast_options(), Keychain::parse("{}", "/cfg.json"), log.logger());
  c.check_push_permission(parse_reference(host_of(srv) + "/team/app:1"));
  {
    std::lock_guard lk(mu);
    EXPECT_NE(std::find(seen.begin(), seen.end(), "DELETE /v2/team/app/blobs/uploads/abc?_state=x"), seen.end());
  }
  try {
    c.check_push_permission(parse_reference(host_of(srv) + "/team/ro:1"));
    FAIL();
  } catch (const StatusError& e) {
    EXPECT_EQ(e.status(), 403);
    std::string m = e.what();
    EXPECT_NE(m.find("checking push permission for " + host_of(srv) + "/team/ro"), std::string::npos) << m;
    EXPECT_NE(m.find("DENIED"), std::string::npos) << m;
  }
}

TEST(ImmutableTags, PushWarnsOnlyWhenAskedTo) {
  const std::string manifest = R"({"schemaVersion":2,"layers":[]})";
  TestServer srv([&](const SeenRequest& r) {
    if (r.target == "/v2/") return Reply{200, {}, "{}"};
    if (r.method == "PUT" && r.target == "/v2/app/manifests/v1")
      return Reply{400, {}, R"({"errors":[{"code":"TAG_INVALID","message":"The image tag 'v1' already exists in )"
                            R"(the 'app' repository and cannot be overwritten because the repository is immutable."}]})"};
    if (r.method == "PUT") return Reply{201, {}, ""};
    return Reply{404, {}, ""};
  });
  CapturedLog log;
  Client c(fast_options(), Keychain::parse("{}", "/cfg.json"), log.logger());
  PushManifest image{{}, "application/vnd.oci.image.manifest.v1+json", manifest};
  std::vector<Reference> dests{parse_reference(host_of(srv) + "/app:v1"), parse_reference(host_of(srv) + "/app:v2")};
  EXPECT_THROW(push_image(c, image, dests, log.logger()), ImmutableTagError);
  auto digests = push_image(c, image, dests, log.logger(), PushSettings{true});
  ASSERT_EQ(digests.size(), 2u);
  EXPECT_EQ(digests[0], digests[1]);
  EXPECT_NE(log.text().find("cannot be overwritten because the repository is immutable"), std::string::npos);
  EXPECT_NE(log.text().find("--push-ignore-immutable-tag-errors"), std::string::npos);
}
