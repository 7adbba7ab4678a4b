#include "cli/warmer_options.h"

#include "base/error.h"
#include "cli/flag_rows.h"
#include "cli/flags.h"

namespace kiln::cli {
namespace {

using namespace rows;

void build_table(FlagSet& fs, WarmerOptions& o) {
  fs.add(str("cache-dir", 'c', &o.cache_dir, "Directory of the cache.", "/cache"));
  fs.add(list("image", 'i', &o.images, "Image to cache. Set it repeatedly for multiple images."));
  fs.add(str("dockerfile", 'd', &o.dockerfile,
             "Path to a Dockerfile whose base images (every FROM) are cached; use the one the executor will build."));
  fs.add(list("build-arg", 0, &o.build_args,
              "ARG values for expanding the Dockerfile's FROM lines (k=v, or k from the environment). Repeatable."));
  fs.add(with_shorthand(boolean("force", &o.force, "Force cache overwriting: download even what is cached."), 'f'));
  fs.add(duration("cache-ttl", &o.cache_ttl_seconds,
                  "Accepted as kaniko does; the executor's --cache-ttl decides how long a cached tag is used.", "336h0m0s"));
  fs.add(with_aliases(str("custom-platform", 0, &o.custom_platform,
                          "Platform of the images to cache, e.g. linux/arm64 (default: the platform kiln was built for)"),
                      {"customPlatform"}));
  add_registry_flags(fs, o);
  add_common_flags(fs, o, "warmer");
}

}  // namespace

WarmerOptions parse_warmer_options(const std::vector<std::string>& args, const GetEnv& env) {
  WarmerOptions o;
  if (auto v = env("KANIKO_DIR"); v && !v->empty()) o.kaniko_dir = *v;
  apply_registry_environment(o, env);
  FlagSet fs("warmer");
  build_table(fs, o);
  auto r = fs.parse(args);
  o.positional = std::move(r.positional);
  normalize_registry_flags(o);
  return o;
}

void validate(const WarmerOptions& o) {
  if (o.images.empty() && o.dockerfile.empty())
    throw UsageError("you must select at least one image to cache (--image) or a Dockerfile to parse (--dockerfile)");
  if (!o.positional.empty()) throw UsageError("unexpected argument '" + o.positional[0] + "'");
  validate_registry_flags(o);
}

std::string warmer_usage() {
  WarmerOptions o;
  FlagSet fs("warmer");
  build_table(fs, o);
  return "kiln warmer fills a base-image cache directory (--cache-dir) that executor --cache=true --cache-dir reads,\n"
         "so builds need not download their base images. Drop-in for kaniko's warmer.\n\n" +
         fs.usage("warmer --image IMAGE [--image IMAGE]... | --dockerfile PATH [flags]") +
         "\nEnvironment: KANIKO_DIR, KANIKO_REGISTRY_MIRROR, KANIKO_REGISTRY_MAP, DOCKER_CONFIG (default\n"
         "/kaniko/.docker), SSL_CERT_FILE, SSL_CERT_DIR, http_proxy/https_proxy/no_proxy.\n";
}

}  // namespace kiln::cli
