#include "proc/container_check.h"

#include "base/file.h"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace kiln::proc {
namespace {

// The inode number the kernel gives the initial PID namespace
// (PROC_PID_INIT_INO). Any other value means a PID namespace was created for
// us, which runc, containerd, Docker, Kubernetes and our sandbox all do, also
// under cgroup v2 where /proc/1/cgroup reads just "0::/".
constexpr std::string_view kInitPidNs = "pid:[4026531836]";

bool contains_any(std::string_view text, std::initializer_list<std::string_view> words) {
  for (auto w : words)
    if (text.find(w) != std::string_view::npos) return true;
  return false;
}

}  // namespace

std::optional<std::string> container_reason(const ContainerFacts& f) {
  if (f.container_env && !f.container_env->empty()) return "container=" + *f.container_env;
  if (f.dockerenv) return std::string("/.dockerenv exists");
  if (f.containerenv) return std::string("/run/.containerenv exists");
  if (!f.pid_ns_link.empty() && f.pid_ns_link != kInitPidNs) return "own PID namespace " + f.pid_ns_link;
  if (contains_any(f.proc1_cgroup, {"/docker", "/kubepods", "/containerd", "/libpod", "/lxc", "/crio", "/actions_job"}))
    return std::string("container cgroup in /proc/1/cgroup");
  // Files that runtimes bind-mount into every container (hosts, resolv.conf,
  // hostname, service-account tokens) name their origin in mountinfo.
  if (contains_any(f.mountinfo, {"/var/lib/docker/containers/", "/var/lib/kubelet/pods/", "/run/containerd/",
                                 "/var/lib/containers/storage/"}))
    return std::string("container mounts in /proc/self/mountinfo");
  return std::nullopt;
}

ContainerFacts gather_container_facts() {
  ContainerFacts f;
  if (const char* c = std::getenv("container")) f.container_env = c;
  f.dockerenv = access("/.dockerenv", F_OK) == 0;
  f.containerenv = access("/run/.containerenv", F_OK) == 0;
  std::array<char, 128> buf{};
  ssize_t n = readlink("/proc/self/ns/pid", buf.data(), buf.size() - 1);
  if (n > 0) f.pid_ns_link.assign(buf.data(), static_cast<std::size_t>(n));
  f.proc1_cgroup = read_file_if_present("/proc/1/cgroup").value_or("");
  f.mountinfo = read_file_if_present("/proc/self/mountinfo").value_or("");
  return f;
}

}  // namespace kiln::proc
