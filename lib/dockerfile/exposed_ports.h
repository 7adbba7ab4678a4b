#pragma once
// EXPOSE values normalised the way Docker stores them in the image config:
// "80" -> "80/tcp", "8000-8002/udp" -> three ports, protocol lower case.
#include <string>
#include <vector>

namespace kiln::dockerfile {

// Throws kiln::UsageError (no location) for a bad port, range or protocol.
std::vector<std::string> normalize_ports(const std::vector<std::string>& specs);

}  // namespace kiln::dockerfile
