#include "registry/index_entries.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "digest/digest.h"

namespace kiln::registry {

std::vector<image::Descriptor> parse_index_entries(const std::string& json, const std::string& origin) {
  std::vector<image::Descriptor> out;
  try {
    auto j = nlohmann::json::parse(json);
    for (const auto& m : j.at("manifests")) {
      image::Descriptor d;
      d.media_type = m.value("mediaType", "");
      d.digest = m.at("digest").get<std::string>();
      d.size = m.at("size").get<std::int64_t>();
      if (!digest::is_valid(d.digest)) throw Error("invalid digest in index entry");
      if (auto p = m.find("platform"); p != m.end() && p->is_object()) {
        image::Platform pl;
        pl.os = p->value("os", "");
        pl.architecture = p->value("architecture", "");
        pl.variant = p->value("variant", "");
        pl.os_version = p->value("os.version", "");
        d.platform = pl;
      }
      out.push_back(std::move(d));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error("reading the image index of " + origin + ": " + e.what());
  } catch (const Error& e) {
    throw Error("reading the image index of " + origin + ": " + e.what());
  }
  return out;
}

std::string media_type_field(const std::string& json) {
  try {
    auto j = nlohmann::json::parse(json);
    if (j.is_object()) return j.value("mediaType", "");
  } catch (const nlohmann::json::exception&) {
  }
  return "";
}

}  // namespace kiln::registry
