#include "dockerfile/parser.h"

#include "base/text.h"
#include "dockerfile/directives.h"
#include "dockerfile/heredoc.h"
#include "dockerfile/json_array.h"
#include "dockerfile/line_words.h"
#include "dockerfile/location_error.h"

namespace kiln::dockerfile {
namespace {

struct SourceLines {
  std::vector<std::string_view> lines;
  size_t next = 0;
  bool done() const { return next >= lines.size(); }
  std::string_view take() { return lines[next++]; }
};

SourceLines split_lines(std::string_view text) {
  SourceLines out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view l = text.substr(start, end - start);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    out.lines.push_back(l);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

bool is_comment(std::string_view line) {
  line = trim_left(line);
  return !line.empty() && line[0] == '#';
}

// A trailing escape character (optionally followed by blanks) continues the
// line, when the character before it is not the escape character too: BuildKit
// (checked with docker 20.10) reads "a\\" and "a\\\" at the end of a line as
// ending there; a line that is only the escape continues. Returns true when
// it did continue, and removes the escape.
bool strip_continuation(std::string& line, char escape) {
  size_t n = line.size();
  while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t')) --n;
  if (n == 0 || line[n - 1] != escape || (n >= 2 && line[n - 2] == escape)) return false;
  line.resize(n - 1);
  return true;
}

bool is_heredoc_keyword(const std::string& kw) { return kw == "run" || kw == "copy" || kw == "add"; }

// RUN/COPY/ADD, also as the trigger of an ONBUILD.
bool can_contain_heredoc(const Node& node) {
  if (node.keyword == "onbuild") return !node.inner.empty() && is_heredoc_keyword(node.inner[0].keyword);
  return is_heredoc_keyword(node.keyword);
}

// The per-instruction argument grammars.
void parse_maybe_json(Node& node, std::string_view rest, std::string_view file, bool fallback_to_words) {
  if (rest.empty()) return;
  JsonArray j = parse_json_array(rest);
  if (j.result == JsonArrayResult::Strings) {
    node.args = std::move(j.items);
    node.json = true;
    return;
  }
  if (j.result == JsonArrayResult::NotStrings)
    fail_at(file, node.start_line, "when using JSON array syntax, arrays must be comprised of strings only");
  if (fallback_to_words) node.args = split_whitespace(rest);
  else node.args = {std::string(rest)};
}

void parse_name_val(Node& node, std::string_view rest, char escape, std::string_view file) {
  std::vector<std::string> words = split_raw_words(rest, escape);
  if (words.empty()) return;
  const std::string upper = [&] {
    std::string u = node.keyword;
    for (char& c : u) c = static_cast<char>(c - 'a' + 'A');
    return u;
  }();
  if (words[0].find('=') == std::string::npos) {
    // Legacy "ENV key value with spaces": the value is the rest of the line.
    std::string_view r = trim(rest);
    size_t i = 0;
    while (i < r.size() && !is_space(r[i])) ++i;
    std::string_view key = r.substr(0, i);
    std::string_view value = trim_left(r.substr(i));
    if (value.empty()) fail_at(file, node.start_line, upper + " must have two arguments (" + upper + " key=value)");
    node.args = {std::string(key), std::string(value)};
    node.legacy_kv = true;
    return;
  }
  for (const std::string& w : words) {
    size_t eq = w.find('=');
    if (eq == std::string::npos)
      fail_at(file, node.start_line,
              "Syntax error - can't find = in \"" + w + "\". Must be of the form: name=value");
    node.args.push_back(w.substr(0, eq));
    node.args.push_back(w.substr(eq + 1));
  }
}

void parse_arguments(Node& node, std::string_view rest, char escape, std::string_view file, int line) {
  const std::string& kw = node.keyword;
  if (kw == "add" || kw == "copy" || kw == "volume") {
    parse_maybe_json(node, rest, file, true);
  } else if (kw == "run" || kw == "cmd" || kw == "entrypoint" || kw == "shell") {
    parse_maybe_json(node, rest, file, false);
  } else if (kw == "env" || kw == "label") {
    parse_name_val(node, rest, escape, file);
  } else if (kw == "arg") {
    node.args = split_raw_words(rest, escape);
  } else if (kw == "from" || kw == "expose") {
    node.args = split_whitespace(rest);
  } else if (kw == "healthcheck") {
    std::string_view r = trim_left(rest);
    size_t sep = 0;
    while (sep < r.size() && !is_space(r[sep])) ++sep;
    if (sep == 0) return;
    node.args.emplace_back(r.substr(0, sep));
    Node cmd;
    cmd.start_line = node.start_line;
    parse_maybe_json(cmd, trim_left(r.substr(sep)), file, false);
    node.json = cmd.json;
    for (auto& a : cmd.args) node.args.push_back(std::move(a));
  } else if (kw == "onbuild") {
    std::string_view r = trim(rest);
    if (r.empty()) return;
    node.args = {std::string(r)};
    node.inner.push_back(parse_instruction_line(r, escape, file, line));
  } else {
    // MAINTAINER, USER, WORKDIR, STOPSIGNAL and unknown instructions: the
    // rest of the line as one argument.
    std::string_view r = trim(rest);
    if (!r.empty()) node.args = {std::string(r)};
  }
}

}  // namespace

Node parse_instruction_line(std::string_view text, char escape, std::string_view file, int line) {
  Node node;
  node.start_line = node.end_line = line;
  node.original = std::string(text);
  std::string_view t = trim(text);
  size_t i = 0;
  while (i < t.size() && !is_space(t[i])) ++i;
  node.keyword = ascii_lower(t.substr(0, i));
  std::string_view rest = trim_left(t.substr(i));
  if (!rest.empty()) {
    FlagsAndRest fr = extract_flags(rest);
    node.flags = std::move(fr.flags);
    parse_arguments(node, fr.rest, escape, file, line);
  }
  return node;
}

ParsedFile parse(std::string_view text, std::string_view filename) {
  ParsedFile out;
  out.filename = std::string(filename);
  const std::string_view file = filename;
  // A UTF-8 byte order mark is not part of the first line.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  SourceLines src = split_lines(text);

  // Directives: only while every line so far was a directive.
  bool seen_escape = false, seen_syntax = false, seen_check = false;
  while (!src.done()) {
    auto d = match_directive(src.lines[src.next]);
    if (!d) break;
    const int line = static_cast<int>(src.next) + 1;
    bool* seen = d->name == "escape" ? &seen_escape : d->name == "syntax" ? &seen_syntax
                                     : d->name == "check" ? &seen_check : nullptr;
    // An unknown directive is a comment and ends the directive block.
    if (!seen) break;
    if (*seen) fail_at(file, line, "only one " + d->name + " parser directive can be used");
    *seen = true;
    if (d->name == "escape") {
      if (d->value != "\\" && d->value != "`")
        fail_at(file, line, "invalid escape token '" + d->value + "' does not match ` or \\");
      out.escape = d->value[0];
    } else if (d->name == "syntax") {
      out.syntax = d->value;
      out.warnings.push_back(at(file, line, "# syntax=" + d->value +
                                                " is ignored: kiln parses Dockerfiles with its own frontend"));
    }
    ++src.next;
  }

  const char esc = out.escape;
  while (!src.done()) {
    std::string_view raw = src.take();
    const int start_line = static_cast<int>(src.next);
    if (is_comment(raw)) continue;
    std::string line(trim_left(raw));
    bool continued = strip_continuation(line, esc);
    if (!continued && trim(line).empty()) continue;
    bool empty_continuation = false;
    while (continued && !src.done()) {
      std::string_view next = src.take();
      if (is_comment(next)) continue;
      if (trim(next).empty()) {
        empty_continuation = true;
        continue;
      }
      std::string part(next);
      continued = strip_continuation(part, esc);
      line += part;
    }
    int end_line = static_cast<int>(src.next);
    if (trim(line).empty()) continue;
    if (empty_continuation)
      out.warnings.push_back(at(file, start_line,
                                "empty continuation line found in: " + std::string(trim(line)) +
                                    " (empty continuation lines will become errors in a future release)"));

    Node node = parse_instruction_line(line, esc, file, start_line);
    if (can_contain_heredoc(node) && line.find("<<") != std::string::npos) {
      for (Heredoc h : with_location(file, start_line, [&] { return find_heredocs(line); })) {
        bool terminated = false;
        while (!src.done()) {
          std::string_view body = src.take();
          std::string_view candidate = body;
          if (h.chomp) {
            size_t t = 0;
            while (t < candidate.size() && candidate[t] == '\t') ++t;
            candidate.remove_prefix(t);
          }
          if (candidate == h.name) {
            terminated = true;
            break;
          }
          h.content += body;
          h.content += '\n';
        }
        end_line = static_cast<int>(src.next);
        if (!terminated)
          fail_at(file, start_line, "unterminated heredoc " + h.name + ": no line \"" + h.name + "\" before the end of the file");
        node.heredocs.push_back(std::move(h));
      }
    }
    node.end_line = end_line;
    if (node.keyword == "onbuild" && !node.inner.empty()) {
      node.inner[0].heredocs = node.heredocs;
      node.inner[0].end_line = end_line;
    }
    out.nodes.push_back(std::move(node));
  }
  if (out.nodes.empty()) fail_at(file, 1, "file with no instructions");
  return out;
}

}  // namespace kiln::dockerfile
