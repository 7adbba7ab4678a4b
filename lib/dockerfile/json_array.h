#pragma once
// The exec form of RUN/CMD/ENTRYPOINT/SHELL/COPY/ADD/VOLUME: a JSON array of
// strings. Docker falls back to the shell form when the text is not valid
// JSON, but rejects valid JSON that holds anything other than strings.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::dockerfile {

enum class JsonArrayResult { Strings, NotJson, NotStrings };

struct JsonArray {
  JsonArrayResult result = JsonArrayResult::NotJson;
  std::vector<std::string> items;
};

// Parses `text` (leading/trailing white space allowed) as exactly one JSON
// array. Escapes (\n, \", \u00e9, surrogate pairs) are decoded to UTF-8.
JsonArray parse_json_array(std::string_view text);

}  // namespace kiln::dockerfile
