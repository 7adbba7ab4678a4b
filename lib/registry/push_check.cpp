// Client::check_push_permission: kaniko's check before a build that the
// credentials may write to each destination, so a wrong password fails in
// seconds instead of after the build. An upload session is opened with push
// scope (the token server and the registry both decide) and cancelled.
#include "http/url.h"
#include "registry/client.h"
#include "registry/status_error.h"

namespace kiln::registry {

void Client::check_push_permission(const Reference& repo) {
  const std::string what = "checking push permission for " + repo.repo_str();
  const std::vector<std::string> scopes{repository_scope(repo.repository, "pull,push")};
  with_retry(policy(Mode::Push), log_, what, [&](int) {
    http::Request start;
    start.method = "POST";
    start.url = "/v2/" + repo.repository + "/blobs/uploads/";
    auto resp = send(repo.registry, Mode::Push, start, scopes);
    if (resp.status != 202) fail(what, repo.registry, resp);
    if (auto loc = resp.header("location")) {
      http::Request cancel;
      cancel.method = "DELETE";
      cancel.url = http::resolve_location(endpoint(repo.registry, Mode::Push).base + "/v2/", *loc);
      // A registry that cannot cancel leaves a session it purges itself.
      auto c = send(repo.registry, Mode::Push, cancel, scopes);
      if (c.status >= 300) log_.debug(what + ": cancelling the upload session answered " + status_text(c.status));
    }
  });
}

}  // namespace kiln::registry
