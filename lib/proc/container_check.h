#pragma once
// Whether the executor runs inside a container. kaniko refuses to run
// otherwise (it would unpack the base image over the host's /), and GitLab
// users know its message. The decision is pure over facts gathered from the
// process's own view of the system, so it is unit-tested without containers.
#include <optional>
#include <string>
#include <string_view>

namespace kiln::proc {

struct ContainerFacts {
  std::optional<std::string> container_env;  // $container (podman, systemd-nspawn, LXC, the tests' sandbox)
  bool dockerenv = false;                    // /.dockerenv
  bool containerenv = false;                 // /run/.containerenv (podman)
  std::string pid_ns_link;                   // readlink /proc/self/ns/pid
  std::string proc1_cgroup;                  // /proc/1/cgroup (v1 names containers; v2 is "0::/")
  std::string mountinfo;                     // /proc/self/mountinfo
};

// Empty when not in a container, else a short reason for the debug log.
std::optional<std::string> container_reason(const ContainerFacts& f);

ContainerFacts gather_container_facts();

inline constexpr std::string_view kNotInContainerMessage =
    "kaniko should only be run inside of a container, run with the --force flag if you are sure you want to continue";

}  // namespace kiln::proc
