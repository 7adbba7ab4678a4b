#include "image/descriptor_json.h"

#include "base/error.h"
#include "digest/digest.h"

namespace kiln::image {

namespace {

std::string get_string(const nlohmann::json& j, const char* key, std::string_view where, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) throw Error(std::string(where) + ": missing \"" + key + "\"");
    return {};
  }
  if (!it->is_string()) throw Error(std::string(where) + ": \"" + key + "\" is not a string");
  return it->get<std::string>();
}

}  // namespace

std::map<std::string, std::string> annotations_from_json(const nlohmann::json& j, std::string_view where) {
  std::map<std::string, std::string> out;
  auto it = j.find("annotations");
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_object()) throw Error(std::string(where) + ": \"annotations\" is not an object");
  for (auto& [k, v] : it->items()) {
    if (!v.is_string()) throw Error(std::string(where) + ": annotation \"" + k + "\" is not a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

namespace {

bool looks_like_media_type(const std::string& t) {
  auto slash = t.find('/');
  return slash != std::string::npos && slash > 0 && slash + 1 < t.size() && t.find(' ') == std::string::npos;
}

}  // namespace

nlohmann::json to_json(const Platform& p) {
  nlohmann::json j;
  j["architecture"] = p.architecture;
  j["os"] = p.os;
  if (!p.variant.empty()) j["variant"] = p.variant;
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  return j;
}

nlohmann::json to_json(const Descriptor& d) {
  nlohmann::json j;
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest;
  j["size"] = d.size;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform) j["platform"] = to_json(*d.platform);
  if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
  return j;
}

Platform platform_from_json(const nlohmann::json& j, std::string_view where) {
  if (!j.is_object()) throw Error(std::string(where) + ": \"platform\" is not an object");
  Platform p;
  std::string w = std::string(where) + " platform";
  p.architecture = get_string(j, "architecture", w, true);
  p.os = get_string(j, "os", w, true);
  p.variant = get_string(j, "variant", w, false);
  p.os_version = get_string(j, "os.version", w, false);
  return p;
}

Descriptor descriptor_from_json(const nlohmann::json& j, std::string_view where) {
  if (!j.is_object()) throw Error(std::string(where) + ": descriptor is not an object");
  Descriptor d;
  d.media_type = get_string(j, "mediaType", where, true);
  if (!looks_like_media_type(d.media_type))
    throw Error(std::string(where) + ": invalid media type \"" + d.media_type + "\"");
  d.digest = get_string(j, "digest", where, true);
  if (!digest::is_valid(d.digest)) throw Error(std::string(where) + ": invalid digest \"" + d.digest.substr(0, 150) + "\"");
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer())
    throw Error(std::string(where) + " (" + d.digest + "): missing or non-integer \"size\"");
  d.size = size->get<std::int64_t>();
  if (d.size < 0) throw Error(std::string(where) + " (" + d.digest + "): negative size");
  d.annotations = annotations_from_json(j, where);
  if (auto p = j.find("platform"); p != j.end() && !p->is_null()) d.platform = platform_from_json(*p, where);
  d.artifact_type = get_string(j, "artifactType", where, false);
  return d;
}

nlohmann::json parse_object(std::string_view text, std::string_view what) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) throw Error(std::string(what) + ": not valid JSON");
  if (!j.is_object()) throw Error(std::string(what) + ": JSON is not an object");
  return j;
}

}  // namespace kiln::image
