#pragma once
// Picking the image for one platform out of a multi-platform index.
#include <optional>
#include <string_view>
#include <vector>

#include "image/descriptor.h"
#include "image/manifest.h"

namespace kiln::image {

// "os/arch[/variant]" as --custom-platform and FROM --platform write it;
// nullopt without a '/'. The caller's error names where the text came from.
std::optional<Platform> parse_platform(std::string_view text);

// The platform this binary was compiled for: a build's BUILDPLATFORM and the
// default --custom-platform, as kaniko takes Go's runtime.GOARCH.
Platform native_platform();

// Spellings that mean the same platform folded into one: architecture
// aliases (x86_64 → amd64, aarch64 → arm64, armhf → arm/v7, armel → arm/v6,
// i386 → 386) and default variants (arm64 → v8, arm → v7, amd64 → v1).
Platform normalize(Platform p);

// a and b name one platform once normalize()d (variant included).
bool same_platform(const Platform& a, const Platform& b);

// Appends p to `list` unless it already holds the same platform: platform
// lists asked for, planned or probed name each platform once.
void add_unique_platform(std::vector<Platform>& list, const Platform& p);

// The first index entry for `want`: os and architecture equal after
// normalize(); variant equal after normalize(). For arm, an image for an
// older variant runs on a newer CPU, so v7 falls back to v6 then v5 when no
// exact match exists. Entries without a platform (attestations, artifacts)
// are skipped. nullopt when nothing fits.
std::optional<Descriptor> select_platform(const Index& index, const Platform& want);

}  // namespace kiln::image
