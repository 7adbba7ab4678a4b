#include <gtest/gtest.h>

#include "proc/container_check.h"

using kiln::proc::container_reason;
using kiln::proc::ContainerFacts;

namespace {
ContainerFacts host() {
  ContainerFacts f;
  f.pid_ns_link = "pid:[4026531836]";
  f.proc1_cgroup = "0::/\n";
  f.mountinfo = "22 27 0:21 / /proc rw,relatime - proc proc rw\n";
  return f;
}
}  // namespace

TEST(ContainerCheck, PlainHostIsNotAContainer) { EXPECT_FALSE(container_reason(host()).has_value()); }

TEST(ContainerCheck, EachSignalAloneIsEnough) {
  auto a = host();
  a.container_env = "podman";
  EXPECT_TRUE(container_reason(a));
  auto b = host();
  b.dockerenv = true;
  EXPECT_TRUE(container_reason(b));
  auto c = host();
  c.containerenv = true;
  EXPECT_TRUE(container_reason(c));
  auto d = host();  // runc/containerd under cgroup v2: only the PID namespace tells
  d.pid_ns_link = "pid:[4026532178]";
  EXPECT_TRUE(container_reason(d));
  auto e = host();  // cgroup v1 docker
  e.proc1_cgroup = "12:pids:/docker/0123abcd\n";
  EXPECT_TRUE(container_reason(e));
  auto g = host();  // Kubernetes with hostPID: the kubelet's bind mounts still show
  g.mountinfo += "900 800 8:1 /var/lib/kubelet/pods/uid/etc-hosts /etc/hosts rw - ext4 /dev/sda1 rw\n";
  EXPECT_TRUE(container_reason(g));
}

TEST(ContainerCheck, EmptyContainerVariableDoesNotCount) {
  auto a = host();
  a.container_env = "";
  EXPECT_FALSE(container_reason(a));
}
