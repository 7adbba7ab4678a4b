#pragma once
// Image references the way Docker normalises them: "busybox" means
// index.docker.io/library/busybox:latest, "docker.io/x/y" means
// index.docker.io/x/y:latest, "reg:5000/a/b@sha256:…" pins a digest.
#include <string>
#include <string_view>

namespace kiln::registry {

inline constexpr std::string_view kDockerHub = "index.docker.io";

struct Reference {
  std::string registry;    // "index.docker.io", "127.0.0.1:5000", "[::1]:5000"
  std::string repository;  // "library/busybox"
  std::string tag;         // "latest" unless only a digest was given
  std::string digest;      // "sha256:…" or empty

  // "index.docker.io/library/busybox:latest", "reg/a@sha256:…",
  // "reg/a:v1@sha256:…" — the form kaniko prints.
  std::string str() const;
  std::string repo_str() const;  // "registry/repository"
  // What the manifest endpoint is asked for: the digest when pinned.
  std::string identifier() const { return digest.empty() ? tag : digest; }
  bool is_docker_hub() const { return registry == kDockerHub; }
  friend bool operator==(const Reference&, const Reference&) = default;
};

// Throws kiln::UsageError naming the text and what is wrong with it.
Reference parse_reference(std::string_view text);

// Same repository, another tag/digest (e.g. a cache image or a pushed digest).
Reference with_digest(Reference r, std::string digest);

}  // namespace kiln::registry
