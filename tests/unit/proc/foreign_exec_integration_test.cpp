// The probe programs and check_can_run, run for real on this machine
// (qemu-user-static from scripts/setup-host.sh for the foreign ones).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/error.h"
#include "image/platform.h"
#include "log/log.h"
#include "proc/foreign_exec.h"
#include "proc/probe_program.h"
#include "support/temp_dir.h"

namespace kiln::proc {
namespace {
namespace fsys = std::filesystem;

image::Platform linux_(const std::string& arch) {
  image::Platform p;
  p.architecture = arch;
  return p;
}

// Enabled in binfmt_misc as this machine's Debian names it (or not visible).
bool emulated(const std::string& qemu_name) {
  std::ifstream in("/proc/sys/fs/binfmt_misc/qemu-" + qemu_name);
  std::string first;
  return std::getline(in, first) && first == "enabled";
}

// Runs file through `emulator` when one is given, else directly.
int run(const fsys::path& file, const std::string& emulator = "") {
  pid_t pid = fork();
  if (pid == 0) {
    if (emulator.empty())
      execl(file.c_str(), file.c_str(), static_cast<char*>(nullptr));
    else
      execl(emulator.c_str(), emulator.c_str(), file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Each probe's machine code, run for real: natively, through the kernel's
// binfmt_misc registration, or by qemu-user-static's emulator started by
// hand (the kernel may have no 32-bit x86 support, and Debian registers no
// qemu-arm): every architecture probe_program knows is executed here.
TEST(ProbeProgramRuns, EveryArchitecture) {
  testing::TempDir dir;
  struct Case {
    const char* arch;
    const char* qemu;  // Debian's qemu-user name
  };
  const Case cases[] = {{"amd64", "x86_64"}, {"386", "i386"},       {"arm64", "aarch64"}, {"arm", "arm"},
                        {"s390x", "s390x"},  {"ppc64le", "ppc64le"}, {"riscv64", "riscv64"}};
  const std::string native = image::native_platform().architecture;
  for (const Case& c : cases) {
    fsys::path file = dir.path() / c.arch;
    std::ofstream(file, std::ios::binary) << *probe_program(linux_(c.arch));
    fsys::permissions(file, fsys::perms::owner_all);
    const std::string emulator = std::string("/usr/bin/qemu-") + c.qemu + "-static";
    if (c.arch == native || emulated(c.qemu)) {
      EXPECT_EQ(run(file), kProbeExitStatus) << c.arch;
    } else {
      ASSERT_TRUE(fsys::exists(emulator)) << emulator << ": install qemu-user-static (scripts/setup-host.sh)";
      EXPECT_EQ(run(file, emulator), kProbeExitStatus) << c.arch << " under " << emulator;
    }
  }
}

TEST(CheckCanRun, PassesForWhatRunsAndNamesThePlatformOtherwise) {
  testing::TempDir dir;
  log::Logger log;
  EXPECT_NO_THROW(check_can_run(image::native_platform(), dir.path(), log));
  if (emulated("aarch64")) EXPECT_NO_THROW(check_can_run(linux_("arm64"), dir.path(), log));
  // Debian registers no qemu-arm by default: 32-bit arm is what this host
  // cannot run (where something runs it, there is nothing to see here).
  if (emulated("arm") || access("/proc/sys/fs/binfmt_misc/qemu-arm", F_OK) == 0) GTEST_SKIP() << "qemu-arm is registered";
  try {
    check_can_run(linux_("arm"), dir.path(), log);
    FAIL() << "linux/arm ran";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("linux/arm programs"), std::string::npos) << m;
    EXPECT_NE(m.find("binfmt"), std::string::npos) << m;
    EXPECT_NE(m.find("qemu-user-static"), std::string::npos) << m;
  }
  EXPECT_TRUE(fsys::is_empty(dir.path()));  // the probe does not stay behind
}

}  // namespace
}  // namespace kiln::proc
