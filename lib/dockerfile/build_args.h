#pragma once
// Build arguments as the plan resolves them once for the whole build: the
// --build-arg values, the global ARGs before the first FROM, and the
// automatic platform arguments.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::dockerfile {

struct ResolvedArg {
  std::string key;
  std::optional<std::string> value;  // nullopt: declared without a value
  friend bool operator==(const ResolvedArg&, const ResolvedArg&) = default;
};

struct BuildArgs {
  // --build-arg k=v (and bare --build-arg k whose value the caller found);
  // bare names the caller could not find are left out.
  std::map<std::string, std::string> given;
  // ARGs before the first FROM, in order, with their resolved values.
  std::vector<ResolvedArg> global;
  // TARGETPLATFORM, TARGETOS, ..., BUILDVARIANT, in that order.
  std::vector<ResolvedArg> automatic;

  std::optional<std::string> given_value(std::string_view key) const;
  // A global (or automatic) arg's value, which an in-stage "ARG key" inherits.
  std::optional<std::string> global_value(std::string_view key) const;
};

// HTTP_PROXY and friends: usable in RUN without an ARG, never in history.
bool is_proxy_arg(std::string_view key);
// TARGETPLATFORM and friends.
bool is_platform_arg(std::string_view key);

}  // namespace kiln::dockerfile
