#pragma once
// Descriptors and platforms to and from their JSON form (OCI image spec,
// descriptor.md and image-index.md field names; Docker uses the same ones).
#include <nlohmann/json.hpp>
#include <string_view>

#include "image/descriptor.h"

namespace kiln::image {

nlohmann::json to_json(const Descriptor& d);
nlohmann::json to_json(const Platform& p);

// Validates as it goes: digest (digest::is_valid), size >= 0, a media type
// of the form "type/subtype". Throws kiln::Error naming `where` (e.g.
// "manifest layer 3") and the bad field.
Descriptor descriptor_from_json(const nlohmann::json& j, std::string_view where);
Platform platform_from_json(const nlohmann::json& j, std::string_view where);

// The "annotations" member of j (empty when absent); values must be strings.
std::map<std::string, std::string> annotations_from_json(const nlohmann::json& j, std::string_view where);

// Parses text as a JSON object; throws kiln::Error naming `what` otherwise.
nlohmann::json parse_object(std::string_view text, std::string_view what);

}  // namespace kiln::image
