#pragma once
// What `executor login` writes into Docker's config.json, as pure functions
// of the file's old text (the effects live in build/login_command).
#include <string>
#include <string_view>
#include <vector>

namespace kiln::registry {

// The "auths" key docker login uses: "https://index.docker.io/v1/" for every
// spelling of Docker Hub, else the host[:port] without scheme or path,
// lower-cased ("https://Reg.example:5000/v2/" → "reg.example:5000").
std::string login_config_key(std::string_view registry);

struct LoginUpdate {
  std::string text;                   // the new config.json
  std::vector<std::string> warnings;  // e.g. a credHelpers entry that is asked first
};

// Sets auths[key].auth = base64(user:password) in `existing` (empty text
// counts as {}), keeping every other member (other registries, credHelpers,
// credsStore, proxies, …) and dropping other spellings of the same registry
// so that the new entry is the one read. Throws kiln::UsageError naming
// `origin` when the text is not a JSON object (never quoting it: it may hold
// secrets).
LoginUpdate add_login(std::string_view existing, const std::string& origin, const std::string& key,
                      const std::string& username, const std::string& password);

}  // namespace kiln::registry
