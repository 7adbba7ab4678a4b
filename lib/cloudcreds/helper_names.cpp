#include "cloudcreds/helper_names.h"

#include <algorithm>

#include "base/error.h"

namespace kiln::cloudcreds {

const std::vector<std::string>& all_helpers() {
  static const std::vector<std::string> names{"env", "google", "ecr", "acr", "gitlab"};
  return names;
}

std::vector<std::string> helpers_to_run(const std::vector<std::string>& values, bool given) {
  if (!given) return all_helpers();
  std::vector<std::string> out;
  for (std::string v : values) {
    if (v == "ecr-login") v = "ecr";
    if (v == "gcr" || v == "gcloud") v = "google";
    if (v == "acr-env" || v == "acr-linux") v = "acr";
    if (v == "default") continue;
    const auto& all = all_helpers();
    if (std::find(all.begin(), all.end(), v) == all.end())
      throw UsageError("--credential-helpers: unknown helper '" + v +
                       "' (built in: default, env, google, ecr, acr, gitlab; other docker-credential-* programs go in "
                       "config.json's credHelpers)");
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

std::string host_name(std::string_view registry) {
  std::string h(registry);
  if (!h.empty() && h[0] == '[') return h.substr(0, h.find(']') + 1);
  if (auto c = h.rfind(':'); c != std::string::npos) h = h.substr(0, c);
  for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

}  // namespace kiln::cloudcreds
