#pragma once
// Finding here-documents (<<EOF) in a RUN/COPY/ADD line. Only the opening
// words are found here; the parser then reads the bodies line by line.
#include <string>
#include <string_view>
#include <vector>

#include "dockerfile/parsed_file.h"

namespace kiln::dockerfile {

// The heredocs a logical line opens, in order, with content still empty.
// A word counts when it looks like [fd]<<[-]NAME with NAME a single word;
// quoting any part of NAME turns expansion off, as in the shell.
std::vector<Heredoc> find_heredocs(std::string_view line);

// Removes leading tabs from every line (the <<- form).
std::string chomp_heredoc(std::string_view content);

}  // namespace kiln::dockerfile
