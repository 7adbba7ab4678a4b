#include "cmd/build_settings.h"

#include <algorithm>
#include <charconv>

#include "base/error.h"
#include "base/text.h"
#include "cmd/registry_setup.h"
#include "context/git_source.h"
#include "image/platform.h"
#include "registry/reference.h"

namespace kiln::cmd {

std::optional<std::int64_t> parse_epoch_seconds(std::string_view text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

std::vector<std::pair<std::string, std::optional<std::string>>> build_arg_values(
    const std::vector<std::string>& flags, const GetEnv& getenv) {
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  for (const auto& a : flags) {
    auto eq = a.find('=');
    if (eq != std::string::npos) out.emplace_back(a.substr(0, eq), a.substr(eq + 1));
    else out.emplace_back(a, getenv(a));
  }
  return out;
}

namespace {

layer::LayerSettings layer_settings(const cli::ExecutorOptions& o, const GetEnv& getenv) {
  layer::LayerSettings s;
  if (o.compression == "gzip") {
    s.compression = layer::Compression::Gzip;
    if (o.compression_level < -1 || o.compression_level > 9)
      throw UsageError("invalid --compression-level " + std::to_string(o.compression_level) +
                       " for gzip: use -1 (default) or 0 to 9");
  } else if (o.compression == "zstd") {
    s.compression = layer::Compression::Zstd;
    if (o.compression_level > 22)
      throw UsageError("invalid --compression-level " + std::to_string(o.compression_level) +
                       " for zstd: use -1 (default) or at most 22");
  } else {
    throw UsageError("invalid --compression '" + o.compression + "': use gzip or zstd");
  }
  s.level = o.compression_level;
  if (o.reproducible) {
    s.fixed_mtime = 0;
    if (auto v = getenv("SOURCE_DATE_EPOCH"); v && !v->empty()) {
      s.fixed_mtime = parse_epoch_seconds(*v);
      if (!s.fixed_mtime)
        throw UsageError("invalid SOURCE_DATE_EPOCH '" + *v +
                         "' (read with --reproducible): expected whole seconds since 1970-01-01");
    }
  }
  return s;
}

// A number of retries: negative is a typing error, not "none".
int count_flag(const char* flag, int value) {
  if (value < 0) throw UsageError("invalid " + std::string(flag) + " " + std::to_string(value) + ": use 0 or more");
  return value;
}

engine::Outputs outputs(const cli::ExecutorOptions& o) {
  engine::Outputs out;
  out.destination_names = o.destinations;
  for (const auto& d : o.destinations) {
    try {
      out.destinations.push_back(registry::parse_reference(d));
    } catch (const Error&) {
      rethrow_with_context("--destination");
    }
  }
  out.push = !o.no_push;
  out.push_settings.ignore_immutable_tag_errors = o.push_ignore_immutable_tag_errors;
  if (o.image_format == "oci") out.format = image::ManifestFormat::Oci;
  else if (o.image_format == "docker") out.format = image::ManifestFormat::Docker;
  else if (!o.image_format.empty())
    throw UsageError("invalid --image-format '" + o.image_format + "': use docker or oci");
  for (const auto& a : o.annotations) {
    auto eq = a.find('=');
    if (eq == std::string::npos) throw UsageError("invalid --annotation '" + a + "': expected key=value");
    out.annotations[a.substr(0, eq)] = a.substr(eq + 1);
  }
  out.tar_path = o.tar_path;
  out.oci_layout_path = o.oci_layout_path;
  out.digest_files = {o.digest_file, o.image_name_digest_file, o.image_name_tag_digest_file};
  return out;
}

// --custom-platform: every value split at commas; a platform named twice is
// built once.
std::vector<image::Platform> platforms(const std::vector<std::string>& flags) {
  std::vector<image::Platform> out;
  for (const auto& flag : flags)
    for (std::string_view text : split_list(flag)) {
      auto p = image::parse_platform(text);
      if (!p || p->os.empty() || p->architecture.empty())
        throw UsageError("invalid --custom-platform '" + std::string(text) + "': expected os/arch[/variant]");
      image::add_unique_platform(out, *p);
    }
  if (out.empty()) out.push_back(image::native_platform());
  return out;
}

}  // namespace

BuildSettings parse_build_settings(const cli::ExecutorOptions& o, const GetEnv& getenv) {
  BuildSettings s;
  s.platforms = platforms(o.custom_platforms);
  s.platform = s.platforms.front();
  if (s.platforms.size() > 1) {
    if (o.materialize)
      throw UsageError("--materialize leaves one image's files in the root, and --custom-platform names several platforms");
  }
  s.secrets = steps::parse_secret_flags(o.secrets);
  for (const auto& l : o.labels) {
    auto eq = l.find('=');
    if (eq == std::string::npos) throw UsageError("invalid --label '" + l + "': expected key=value");
    s.labels.emplace_back(l.substr(0, eq), l.substr(eq + 1));
  }
  s.layer = layer_settings(o, getenv);
  s.snapshot_mode = fs::parse_snapshot_mode(o.snapshot_mode);
  s.outputs = outputs(o);
  s.registry = registry_options(o, getenv);
  s.credential_helpers = credential_helpers(o);
  s.extract_retries = count_flag("--image-fs-extract-retry", o.image_fs_extract_retry);
  count_flag("--push-retry", o.push_retry);
  count_flag("--jobs", o.jobs);
  count_flag("--image-download-retry", o.image_download_retry);
  s.git = context::parse_git_flags(o.git);
  context::require_git_support(s.git);
  return s;
}

}  // namespace kiln::cmd
