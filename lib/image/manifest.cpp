#include "image/manifest.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "digest/digest.h"
#include "image/descriptor_json.h"
#include "image/media_types.h"

namespace kiln::image {

namespace {

using nlohmann::json;

void check_descriptor(const Descriptor& d, const std::string& where) {
  if (!digest::is_valid(d.digest)) throw Error(where + ": invalid digest \"" + d.digest.substr(0, 150) + "\"");
  if (d.media_type.empty()) throw Error(where + " (" + d.digest + "): empty media type");
  if (d.size < 0) throw Error(where + " (" + d.digest + "): negative size");
}

int schema_version(const json& j, const char* what) {
  auto it = j.find("schemaVersion");
  if (it == j.end() || !it->is_number_integer() || it->get<int>() != 2)
    throw Error(std::string(what) + ": schemaVersion must be 2");
  return 2;
}

std::string document_type(const json& j, std::string_view header, const char* what) {
  std::string in_doc;
  if (auto it = j.find("mediaType"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) throw Error(std::string(what) + ": \"mediaType\" is not a string");
    in_doc = it->get<std::string>();
  }
  if (!header.empty() && !in_doc.empty() && header != in_doc)
    throw Error(std::string(what) + ": Content-Type " + std::string(header) + " does not match mediaType " + in_doc);
  return in_doc.empty() ? std::string(header) : in_doc;
}

}  // namespace

Manifest make_manifest(ManifestFormat format, Descriptor config, std::vector<Descriptor> layers,
                       std::map<std::string, std::string> annotations) {
  Manifest m;
  bool oci = format == ManifestFormat::Oci;
  if (!oci && !annotations.empty()) throw Error("Docker schema 2 manifests cannot carry annotations");
  m.media_type = oci ? media::kOciManifest : media::kDockerManifest;
  config.media_type = oci ? media::kOciConfig : media::kDockerConfig;
  check_descriptor(config, "manifest config");
  for (std::size_t i = 0; i < layers.size(); ++i) check_descriptor(layers[i], "manifest layer " + std::to_string(i));
  m.config = std::move(config);
  m.layers = std::move(layers);
  m.annotations = std::move(annotations);
  return m;
}

std::string to_json(const Manifest& m) {
  json j;
  j["schemaVersion"] = m.schema_version;
  if (!m.media_type.empty()) j["mediaType"] = m.media_type;
  if (!m.artifact_type.empty()) j["artifactType"] = m.artifact_type;
  j["config"] = to_json(m.config);
  j["layers"] = json::array();
  for (const auto& l : m.layers) j["layers"].push_back(to_json(l));
  if (!m.annotations.empty()) j["annotations"] = m.annotations;
  if (m.subject) j["subject"] = to_json(*m.subject);
  return j.dump();
}

std::string to_json(const Index& i) {
  json j;
  j["schemaVersion"] = i.schema_version;
  if (!i.media_type.empty()) j["mediaType"] = i.media_type;
  j["manifests"] = json::array();
  for (const auto& d : i.manifests) j["manifests"].push_back(to_json(d));
  if (!i.annotations.empty()) j["annotations"] = i.annotations;
  return j.dump();
}

Manifest parse_manifest(std::string_view text, std::string_view media_type) {
  json j = parse_object(text, "image manifest");
  Manifest m;
  m.schema_version = schema_version(j, "image manifest");
  m.media_type = document_type(j, media_type, "image manifest");
  if (!m.media_type.empty() && !media::is_manifest(m.media_type))
    throw Error("image manifest: unsupported media type " + m.media_type +
                (media::is_index(m.media_type) ? " (an index, not a manifest)" : ""));
  if (j.contains("manifests") && !j.contains("layers"))
    throw Error("image manifest: document is an index, not a manifest");
  if (!j.contains("config")) throw Error("image manifest: missing \"config\"");
  m.config = descriptor_from_json(j["config"], "manifest config");
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array()) throw Error("image manifest: \"layers\" is missing or not an array");
  for (std::size_t i = 0; i < layers->size(); ++i)
    m.layers.push_back(descriptor_from_json((*layers)[i], "manifest layer " + std::to_string(i)));
  m.annotations = annotations_from_json(j, "image manifest");
  if (auto s = j.find("subject"); s != j.end() && !s->is_null()) m.subject = descriptor_from_json(*s, "manifest subject");
  if (auto a = j.find("artifactType"); a != j.end() && a->is_string()) m.artifact_type = a->get<std::string>();
  return m;
}

Index parse_index(std::string_view text, std::string_view media_type) {
  json j = parse_object(text, "image index");
  Index idx;
  idx.schema_version = schema_version(j, "image index");
  idx.media_type = document_type(j, media_type, "image index");
  if (!idx.media_type.empty() && !media::is_index(idx.media_type))
    throw Error("image index: unsupported media type " + idx.media_type);
  auto ms = j.find("manifests");
  if (ms == j.end() || !ms->is_array()) throw Error("image index: \"manifests\" is missing or not an array");
  bool docker = idx.media_type == media::kDockerManifestList;
  for (std::size_t i = 0; i < ms->size(); ++i) {
    std::string where = "index entry " + std::to_string(i);
    auto d = descriptor_from_json((*ms)[i], where);
    if (docker && !d.platform) throw Error(where + " (" + d.digest + "): Docker manifest list entry without platform");
    idx.manifests.push_back(std::move(d));
  }
  idx.annotations = annotations_from_json(j, "image index");
  return idx;
}

std::string detect_media_type(std::string_view text) {
  json j = parse_object(text, "manifest");
  if (auto it = j.find("mediaType"); it != j.end() && it->is_string()) return it->get<std::string>();
  if (j.contains("manifests")) return std::string(media::kOciIndex);
  if (j.contains("layers")) return std::string(media::kOciManifest);
  throw Error("manifest: cannot tell its media type (no mediaType, manifests or layers)");
}

}  // namespace kiln::image
