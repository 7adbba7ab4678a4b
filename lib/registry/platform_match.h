#pragma once
// Choosing an image index entry for a platform, with the variant defaults
// Docker applies (arm64 means arm64/v8, arm means arm/v7).
#include <optional>
#include <vector>

#include "image/descriptor.h"

namespace kiln::registry {

bool platform_matches(const image::Platform& want, const image::Platform& have);

// The first entry whose platform matches, or nullopt.
std::optional<image::Descriptor> select_platform(const std::vector<image::Descriptor>& entries,
                                                 const image::Platform& want);

}  // namespace kiln::registry
