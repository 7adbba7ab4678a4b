// Client::check_login: what `executor login` asks a registry before it
// writes credentials anywhere.
#include "base/error.h"
#include "registry/client.h"
#include "registry/status_error.h"

namespace kiln::registry {

bool Client::check_login(const std::string& registry) {
  Endpoint ep = endpoint(registry, Mode::Push);
  if (ep.challenge.scheme.empty()) return false;
  http::Request req;
  req.url = "/v2/";
  http::Response resp = send(registry, Mode::Push, req, {});
  if (resp.status == 200) return true;
  throw StatusError("logging in to " + registry + ": " + status_text(resp.status), resp.status);
}

}  // namespace kiln::registry
