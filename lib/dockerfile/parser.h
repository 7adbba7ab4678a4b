#pragma once
// Dockerfile text -> nodes, as BuildKit's parser does it: directives, comments,
// line continuations, heredocs, flags and per-instruction argument splitting.
// No variable expansion happens here. Pure: no I/O.
#include <string_view>

#include "dockerfile/parsed_file.h"

namespace kiln::dockerfile {

// Throws kiln::UsageError ("<filename>:<line>: ...") on malformed input.
// Unknown instruction names are kept; instructions.h rejects them.
ParsedFile parse(std::string_view text, std::string_view filename);

// Parses one instruction line (no continuations, no heredoc bodies), as
// ONBUILD triggers from a base image's config need. `line` numbers the node.
Node parse_instruction_line(std::string_view text, char escape, std::string_view filename, int line);

}  // namespace kiln::dockerfile
