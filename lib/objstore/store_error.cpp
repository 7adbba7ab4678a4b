#include "objstore/store_error.h"

#include <nlohmann/json.hpp>

#include "objstore/aws_credentials.h"

namespace kiln::objstore {

std::string describe_store_error(long status, std::string_view body) {
  std::string out = "HTTP " + std::to_string(status);
  std::string code = xml_text(body, "Code");
  std::string message = xml_text(body, "Message");
  message = message.substr(0, message.find('\n'));  // azurite appends RequestId/Time lines
  if (!code.empty()) out += " " + code;
  if (!message.empty()) out += " (" + message + ")";
  if (code.empty() && message.empty()) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_object() && j["error"].contains("message") &&
        j["error"]["message"].is_string())
      out += " (" + j["error"]["message"].get<std::string>() + ")";
  }
  return out;
}

}  // namespace kiln::objstore
