// kiln warmer: pre-fetches base images into --cache-dir, where
// `executor --cache=true --cache-dir=…` finds them. See README.md.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "build/registry_setup.h"
#include "cache/image_cache.h"
#include "cache/warm.h"
#include "cli/warmer_options.h"
#include "dockerfile/parser.h"
#include "dockerfile/plan.h"
#include "log/log.h"
#include "registry/client.h"
#include "registry/credentials.h"

namespace {

std::optional<std::string> getenv_opt(std::string_view name) {
  if (const char* v = std::getenv(std::string(name).c_str())) return std::string(v);
  return std::nullopt;
}

kiln::image::Platform parse_platform(const std::string& text, const std::string& what) {
  kiln::image::Platform p;
  if (text.empty()) return p;
  auto a = text.find('/');
  if (a == std::string::npos) throw kiln::UsageError("invalid " + what + " '" + text + "': expected os/arch[/variant]");
  p.os = text.substr(0, a);
  auto b = text.find('/', a + 1);
  p.architecture = text.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  if (b != std::string::npos) p.variant = text.substr(b + 1);
  return p;
}

struct Target {
  std::string image;
  kiln::image::Platform platform;
};

// Every FROM of the Dockerfile that names an image, expanded with the build
// args as the executor would; scratch and earlier stages need no warming.
std::vector<Target> dockerfile_targets(const kiln::cli::WarmerOptions& o, const kiln::image::Platform& platform,
                                       const kiln::cli::GetEnv& env) {
  std::ifstream in(o.dockerfile, std::ios::binary);
  if (!in) throw kiln::UsageError("Dockerfile " + o.dockerfile + " does not exist or cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  auto parsed = kiln::dockerfile::parse(ss.str(), o.dockerfile);
  kiln::dockerfile::PlanOptions po;
  for (const auto& a : o.build_args) {
    auto eq = a.find('=');
    if (eq != std::string::npos) po.build_args.emplace_back(a.substr(0, eq), a.substr(eq + 1));
    else po.build_args.emplace_back(a, env(a));
  }
  po.target_platform = platform;
  auto plan = kiln::dockerfile::make_plan(parsed, po);
  std::vector<Target> out;
  for (const auto& s : plan.stages) {
    if (s.base_stage || s.base_image == "scratch") continue;
    out.push_back({s.base_image, s.platform.empty() ? platform : parse_platform(s.platform, "FROM --platform")});
  }
  return out;
}

kiln::log::Logger::Options logger_options(const kiln::cli::WarmerOptions& o) {
  kiln::log::Logger::Options lo;
  lo.level = kiln::log::parse_level(o.verbosity);
  lo.format = kiln::log::parse_format(o.log_format);
  if (lo.format == kiln::log::Format::Color && !isatty(STDERR_FILENO)) lo.format = kiln::log::Format::Text;
  lo.timestamp = o.log_timestamp;
  return lo;
}

// Warms every target; returns how many failed (each reported by name).
int warm_all(const kiln::cli::WarmerOptions& o, const std::vector<Target>& targets, kiln::log::Logger& log) {
  std::error_code ec;
  std::filesystem::create_directories(o.cache_dir, ec);
  if (ec) throw kiln::IoError("creating cache directory " + o.cache_dir + ": " + ec.message());
  kiln::registry::Client client(
      kiln::build::registry_options(o, o.kaniko_dir, getenv_opt),
      kiln::build::load_keychain(o, kiln::build::docker_config_dir(o.kaniko_dir, getenv_opt), getenv_opt, log), log);
  kiln::cache::ImageCache cache(o.cache_dir, log);
  int failed = 0;
  for (const auto& t : targets) {
    try {
      auto ref = kiln::registry::parse_reference(t.image);
      kiln::cache::warm_image(client, cache, ref, t.platform, o.force,
                              static_cast<std::int64_t>(std::time(nullptr)), log);
    } catch (const std::exception& e) {
      // Keep going: one unreachable image should not stop the others.
      log.error(std::string("Failed to warm image ") + t.image + ": " + e.what());
      ++failed;
    }
  }
  return failed;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  kiln::cli::WarmerOptions opts;
  kiln::log::Logger::Options lo;
  try {
    opts = kiln::cli::parse_warmer_options(args, getenv_opt);
    if (opts.help || (!opts.positional.empty() && opts.positional[0] == "help")) {
      std::cout << kiln::cli::warmer_usage();
      return 0;
    }
    kiln::cli::validate(opts);
    lo = logger_options(opts);
  } catch (const kiln::Error& e) {
    std::fprintf(stderr, "Error: %s\n", e.what());
    return 1;
  }
  kiln::log::Logger log(lo);
  try {
    auto platform = parse_platform(opts.custom_platform, "--custom-platform");
    std::vector<Target> targets;
    for (const auto& i : opts.images) targets.push_back({i, platform});
    if (!opts.dockerfile.empty())
      for (auto& t : dockerfile_targets(opts, platform, getenv_opt)) targets.push_back(std::move(t));
    // One fetch per image and platform, however often it is named.
    std::set<std::pair<std::string, std::string>> seen;
    std::vector<Target> unique;
    for (auto& t : targets)
      if (seen.insert({t.image, t.platform.str()}).second) unique.push_back(std::move(t));
    int failed = warm_all(opts, unique, log);
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
