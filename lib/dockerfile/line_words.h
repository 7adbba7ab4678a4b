#pragma once
// Splitting a logical line into words the way Docker's parser does before any
// variable expansion: quotes and escapes are respected to find word
// boundaries but kept in the words (expansion removes them later).
#include <string>
#include <string_view>
#include <vector>

namespace kiln::dockerfile {

// Whitespace-separated words; quoted runs and escaped characters do not split.
// Quotes and escape characters stay in the words. Used for ENV/LABEL/ARG.
std::vector<std::string> split_raw_words(std::string_view text, char escape);

// Plain whitespace split (no quote handling), as for FROM/EXPOSE and the shell
// form of COPY/ADD/VOLUME.
std::vector<std::string> split_whitespace(std::string_view text);

struct FlagsAndRest {
  std::vector<std::string> flags;  // "--name=value", quotes and backslashes removed
  std::string rest;                // the line from the first non-flag word on
};

// Takes leading "--flag" words off an instruction's arguments. A bare "--"
// ends the flags. Backslash escapes and quotes inside flag words are removed.
FlagsAndRest extract_flags(std::string_view args);

bool is_space(char c);

}  // namespace kiln::dockerfile
