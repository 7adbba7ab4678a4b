#include "cmd/warm_command.h"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/file.h"
#include "cache/image_cache.h"
#include "cache/warm.h"
#include "cmd/build_settings.h"
#include "cmd/registry_setup.h"
#include "dockerfile/parser.h"
#include "dockerfile/plan.h"
#include "image/platform.h"
#include "registry/client.h"
#include "registry/credentials.h"

namespace kiln::cmd {
namespace {

// what: the flag or instruction the text came from, for the error.
image::Platform platform_from(const std::string& text, const std::string& what) {
  if (text.empty()) return image::native_platform();
  if (auto p = image::parse_platform(text)) return *p;
  throw UsageError("invalid " + what + " '" + text + "': expected os/arch[/variant]");
}

struct Target {
  std::string image;
  image::Platform platform;
};

// Every FROM of the Dockerfile that names an image, expanded with the build
// args as the executor would; scratch and earlier stages need no warming.
std::vector<Target> dockerfile_targets(const cli::WarmerOptions& o, const image::Platform& platform,
                                       const GetEnv& env) {
  auto text = read_file_if_present(o.dockerfile);
  if (!text) throw UsageError("Dockerfile " + o.dockerfile + " does not exist or cannot be read");
  auto parsed = dockerfile::parse(*text, o.dockerfile);
  dockerfile::PlanOptions po;
  po.build_args = build_arg_values(o.build_args, env);
  po.target_platform = platform;
  po.build_platform = image::native_platform();
  auto plan = dockerfile::make_plan(parsed, po);
  std::vector<Target> out;
  for (const auto& s : plan.stages) {
    if (s.base_stage || s.base_image == "scratch") continue;
    out.push_back({s.base_image, s.platform.empty() ? platform : platform_from(s.platform, "FROM --platform")});
  }
  return out;
}

// Warms every target; returns how many failed (each reported by name).
int warm_all(const cli::WarmerOptions& o, const std::vector<Target>& targets, const GetEnv& getenv,
             log::Logger& log) {
  std::error_code ec;
  std::filesystem::create_directories(o.cache_dir, ec);
  if (ec) throw IoError("creating cache directory " + o.cache_dir + ": " + ec.message());
  registry::Client client(registry_options(o, o.kaniko_dir, getenv),
                          load_keychain(credential_helpers(o), docker_config_dir(o.kaniko_dir, getenv), getenv), log);
  cache::ImageCache cache(o.cache_dir, log);
  int failed = 0;
  for (const auto& t : targets) {
    try {
      auto ref = registry::parse_reference(t.image);
      cache::warm_image(client, cache, ref, t.platform, o.force, static_cast<std::int64_t>(std::time(nullptr)), log);
    } catch (const std::exception& e) {
      // Keep going: one unreachable image should not stop the others.
      log.error(std::string("Failed to warm image ") + t.image + ": " + e.what());
      ++failed;
    }
  }
  return failed;
}

}  // namespace

int run_warm(const cli::WarmerOptions& opts, const GetEnv& getenv, log::Logger& log) {
  try {
    auto platform = platform_from(opts.custom_platform, "--custom-platform");
    std::vector<Target> targets;
    for (const auto& i : opts.images) targets.push_back({i, platform});
    if (!opts.dockerfile.empty())
      for (auto& t : dockerfile_targets(opts, platform, getenv)) targets.push_back(std::move(t));
    // One fetch per image and platform, however often it is named.
    std::set<std::pair<std::string, std::string>> seen;
    std::vector<Target> unique;
    for (auto& t : targets)
      if (seen.insert({t.image, t.platform.str()}).second) unique.push_back(std::move(t));
    int failed = warm_all(opts, unique, getenv, log);
    if (failed > 0) {
      log.error("Failed warming cache: " + std::to_string(failed) + " of " + std::to_string(unique.size()) +
                " images could not be cached");
      return 1;
    }
  } catch (const std::exception& e) {
    log.error(std::string("Failed warming cache: ") + e.what());
    return 1;
  }
  return 0;
}

}  // namespace kiln::cmd
