#include "cache/cache_image.h"

#include <ctime>

#include "digest/digest.h"
#include "image/config.h"
#include "image/manifest.h"
#include "image/media_types.h"

namespace kiln::cache {

namespace {
constexpr const char* kKeyAnnotation = "dev.kiln.cache.key";
}

CacheImage make_cache_image(std::string_view key, const std::optional<CachedLayer>& layer,
                            const image::Platform& platform, const std::string& created) {
  image::Config cfg;
  cfg.set_platform(platform);
  cfg.set_created(created);
  cfg.set_diff_ids(layer ? std::vector<std::string>{layer->diff_id} : std::vector<std::string>{});
  CacheImage out;
  out.config_json = cfg.dump();
  out.config.media_type = std::string(image::media::kOciConfig);
  out.config.digest = digest::sha256_of(out.config_json).str();
  out.config.size = static_cast<std::int64_t>(out.config_json.size());
  std::vector<image::Descriptor> layers;
  if (layer) layers.push_back(layer->descriptor);
  auto m = image::make_manifest(image::ManifestFormat::Oci, out.config, layers, {{kKeyAnnotation, std::string(key)}});
  out.manifest_json = image::to_json(m);
  return out;
}

std::optional<image::Descriptor> cache_config_of(std::string_view key, std::string_view manifest_json,
                                                 std::string_view media_type) {
  image::Manifest m;
  try {
    m = image::parse_manifest(manifest_json, media_type);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  auto it = m.annotations.find(kKeyAnnotation);
  if (it == m.annotations.end() || it->second != key) return std::nullopt;
  if (m.layers.size() > 1) return std::nullopt;
  return m.config;
}

std::optional<CacheEntry> parse_cache_entry(std::string_view manifest_json, std::string_view config_json) {
  try {
    auto m = image::parse_manifest(manifest_json);
    auto cfg = image::Config::parse(config_json);
    auto ids = cfg.diff_ids();
    if (ids.size() != m.layers.size() || m.layers.size() > 1) return std::nullopt;
    CacheEntry e;
    if (!m.layers.empty()) e.layer = CachedLayer{m.layers[0], ids[0]};
    auto created = parse_rfc3339(cfg.created());
    if (!created) return std::nullopt;
    e.created = *created;
    return e;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool within_ttl(std::int64_t created, std::int64_t now, std::int64_t ttl_seconds) {
  return now - created <= ttl_seconds;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  if (text.size() < 20) return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len) -> int {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  std::tm tm{};
  int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
    return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::size_t p = 19;
  if (p < text.size() && text[p] == '.') {
    ++p;
    while (p < text.size() && text[p] >= '0' && text[p] <= '9') ++p;
  }
  if (p >= text.size()) return std::nullopt;
  std::int64_t offset = 0;
  if (text[p] == 'Z' || text[p] == 'z') {
    if (p + 1 != text.size()) return std::nullopt;
  } else if ((text[p] == '+' || text[p] == '-') && p + 6 == text.size() && text[p + 3] == ':') {
    int oh = num(p + 1, 2), om = num(p + 4, 2);
    if (oh < 0 || om < 0) return std::nullopt;
    offset = (oh * 3600 + om * 60) * (text[p] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

}  // namespace kiln::cache
