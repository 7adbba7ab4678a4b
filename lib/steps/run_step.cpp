#include "steps/run_step.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>

#include "base/error.h"
#include "fs/passwd.h"
#include "fs/resolve.h"
#include "proc/process.h"
#include "steps/mount_setup.h"
#include "steps/own_root.h"
#include "steps/run_mounts.h"

namespace kiln::steps {
using namespace kiln::dockerfile;

namespace {

bool has_key(const std::vector<std::string>& env, std::string_view key) {
  for (const auto& e : env)
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') return true;
  return false;
}

std::string ms_since(std::chrono::steady_clock::time_point t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
  return buf;
}

std::string read_mountinfo() {
  std::ifstream mi("/proc/self/mountinfo");
  return std::string((std::istreambuf_iterator<char>(mi)), std::istreambuf_iterator<char>());
}

std::string describe(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

}  // namespace

void run_command(const Step& step, const image::Config& config, const RunContext& ctx) {
  const std::filesystem::path& root = ctx.root;
  log::Logger& log = *ctx.log;
  const RunInst* run = step.instruction.as<RunInst>();
  const std::string location = "line " + std::to_string(step.line);

  proc::ProcessSpec spec;
  spec.argv = step.argv;
  spec.env = step.run_env;
  spec.no_network = run->network == "none";
  // No USER means uid 0, looked up like any other (runc): its passwd entry
  // gives the group, supplementary groups and HOME (/root, not /).
  const std::string user = config.user().empty() ? std::string("0") : config.user();
  fs::UserInfo ui = fs::load_user(root, user);
  spec.uid = ui.uid;
  spec.gid = ui.gid;
  spec.groups = ui.supplementary;
  // As Docker's runtime: PATH and HOME are always set for the command.
  if (!has_key(spec.env, "PATH")) spec.env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  if (!has_key(spec.env, "HOME")) spec.env.push_back("HOME=" + (ui.home.empty() ? std::string("/") : ui.home));
  spec.cwd = step.working_dir.empty() ? "/" : step.working_dir;
  // BuildKit creates a missing working directory before running.
  fs::mkdir_all(root, spec.cwd, 0, 0, 0755);
  // Inside its own root the command chroots first: the working directory is
  // a path in the image; in the container's root, the host path.
  spec.cwd = ctx.own_root ? fs::resolve_image_path(root, spec.cwd, true) : fs::resolve_in_root(root, spec.cwd, true).string();

  std::filesystem::path script;
  if (step.script && !spec.argv.empty()) {
    script = fs::resolve_in_root(root, spec.argv[0], false);
    std::filesystem::create_directories(script.parent_path());
    std::ofstream(script, std::ios::binary) << step.script->content;
    ::chmod(script.c_str(), 0755);
  }
  log.info("Running: [" + describe(step.argv) + "]");
  int code;
  try {
    // The session's scope ends before run_command returns, so its mount
    // point stubs are gone before the snapshot that follows.
    std::optional<MountSession> mounts;
    std::string setup_ms;
    if (!run->mounts.empty()) {
      std::vector<PlannedMount> plan;
      try {
        plan = plan_mounts(run->mounts, step.working_dir, available_secrets(ctx.secrets, ctx.getenv));
      } catch (const UsageError& e) {
        throw UsageError(location + ": RUN " + e.what());
      }
      MountEnv me = ctx;
      me.location = location;
      bool in_root = std::any_of(plan.begin(), plan.end(), [](const PlannedMount& p) { return p.kind != MountKind::SecretEnv; });
      if (in_root && ctx.mount_method) {
        bool first = !ctx.mount_method->decided();
        const MountMethodChoice& choice = ctx.mount_method->get();
        if (first && choice.method == MountMethod::Files)
          log.warn("RUN --mount: " + choice.why + "; mounts are given by file operations in the root");
        me.method = choice.method;
        log.info("RUN --mount by " + method_name(choice.method));
      }
      auto t0 = std::chrono::steady_clock::now();
      mounts.emplace(plan, me);
      setup_ms = ms_since(t0);
      spec.mounts = mounts->ops();
      // A secret env= overrides a variable of the same name, for this RUN only.
      for (const auto& kv : mounts->env()) {
        std::string key = kv.substr(0, kv.find('=') + 1);
        std::erase_if(spec.env, [&](const std::string& e) { return e.compare(0, key.size(), key) == 0; });
        spec.env.push_back(kv);
      }
    }
    if (ctx.own_root) {
      auto own = own_root_mounts(root, ctx.ignore);
      spec.mounts.insert(spec.mounts.begin(), own.begin(), own.end());
      spec.chroot_dir = root.string();
    }
    spec.interrupt = ctx.interrupt;
    try {
      code = proc::run_process(spec, log);
    } catch (...) {
      if (ctx.own_root) detach_leaked_mounts(root, read_mountinfo());
      throw;
    }
    if (ctx.own_root) {
      auto leaked = detach_leaked_mounts(root, read_mountinfo());
      if (!leaked.empty())
        throw Error(location + ": RUN in the stage's own root: its mounts propagated out of the command (" +
                    leaked.front() + (leaked.size() > 1 ? ", …" : "") +
                    "): the container's root mount is shared; kiln detached them and stops the build (--jobs=1 "
                    "builds every stage in the container's root)");
    }
    if (mounts) {
      mounts->check_no_leak(read_mountinfo());
      // Without a mount namespace, a read-only bind or a tmpfs size= is
      // checked after the command (mount_checks.h); a failed command keeps
      // its own exit code.
      if (auto broken = mounts->broken_promise()) {
        if (code == 0) throw Error(*broken);
        log.error(*broken);
      }
      auto t1 = std::chrono::steady_clock::now();
      mounts.reset();
      log.debug("RUN --mount: in place in " + setup_ms + " ms, undone in " + ms_since(t1) + " ms");
    }
  } catch (...) {
    if (!script.empty()) std::filesystem::remove(script);
    throw;
  }
  if (!script.empty()) std::filesystem::remove(script);
  if (code != 0)
    throw ExitCodeError("RUN " + describe(step.argv) + " (line " + std::to_string(step.line) +
                            ") failed: exit code " + std::to_string(code),
                        code);
}

}  // namespace kiln::steps
