#pragma once
// kaniko's --credential-helpers values: which built-in helpers run, in what
// order. Absent: all of them, as in kaniko; an empty value: none.
#include <string>
#include <string_view>
#include <vector>

namespace kiln::cloudcreds {

// env, google, ecr, acr, gitlab: kaniko's order.
const std::vector<std::string>& all_helpers();

// The helpers to run for the values given (`given` false: the flag was not
// used). kaniko's "default" (config.json, always read) is accepted and adds
// nothing; the docker-credential-* names kaniko's image shipped ("ecr-login",
// "gcr", "acr-env") mean ecr, google and acr. Throws kiln::UsageError naming
// an unknown helper and listing the known ones.
std::vector<std::string> helpers_to_run(const std::vector<std::string>& values, bool given);

// "gcr.io:443" -> "gcr.io": helpers match host names, whatever the port.
std::string host_name(std::string_view registry);

}  // namespace kiln::cloudcreds
