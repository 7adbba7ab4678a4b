#pragma once
// The parser's output: one Node per logical line (continuations joined), with
// the arguments split the way each instruction's grammar splits them, but not
// yet interpreted. Typed instructions (instructions.h) are built from these.
#include <optional>
#include <string>
#include <vector>

namespace kiln::dockerfile {

struct Heredoc {
  std::string name;     // the delimiter word, quotes removed
  std::string content;  // lines between the instruction and the terminator, each ending in '\n'
  bool expand = true;   // false when the delimiter was quoted (<<"EOF" / <<'EOF')
  bool chomp = false;   // <<-EOF: leading tabs are stripped from content and terminator
  unsigned fd = 0;      // the optional digit before <<, e.g. 3<<EOF
  friend bool operator==(const Heredoc&, const Heredoc&) = default;
};

struct Node {
  std::string keyword;             // instruction name, lower case ("run")
  std::string original;            // the logical line as written (continuations joined)
  std::vector<std::string> flags;  // "--name=value", quotes removed, in order
  // Arguments as the instruction's grammar splits them:
  //  ENV/LABEL: key, value, key, value... (values still raw: quotes kept)
  //  ARG: raw words ("k=v" or "k"); FROM/EXPOSE: whitespace-separated words;
  //  RUN/CMD/ENTRYPOINT/SHELL: the JSON elements, or one string (shell form);
  //  COPY/ADD/VOLUME: JSON elements or whitespace-separated words;
  //  HEALTHCHECK: the type word then the command as for CMD;
  //  MAINTAINER/USER/WORKDIR/STOPSIGNAL: the rest of the line as one string;
  //  ONBUILD: the inner instruction's text as one string, parsed in `inner`.
  std::vector<std::string> args;
  bool json = false;          // args came from a JSON array (exec form)
  bool legacy_kv = false;     // ENV/LABEL written as "KEY value" (no '=')
  std::vector<Heredoc> heredocs;
  std::vector<Node> inner;    // ONBUILD: exactly one node, the trigger
  int start_line = 0;
  int end_line = 0;
};

struct ParsedFile {
  std::string filename;
  char escape = '\\';
  std::optional<std::string> syntax;  // the # syntax= directive, recorded only
  std::vector<Node> nodes;
  std::vector<std::string> warnings;  // "Dockerfile:3: ..." lines for the user
};

}  // namespace kiln::dockerfile
