#pragma once
// Builders for rows of a flag table; each row captures the field it writes.
// Shared by the executor's and the warmer's tables.
#include <map>
#include <string>
#include <vector>

#include "cli/flags.h"

namespace kiln::cli::rows {

Flag str(std::string name, char sh, std::string* field, std::string help, std::string def = "");
Flag list(std::string name, char sh, std::vector<std::string>* field, std::string help);
Flag boolean(std::string name, bool* field, std::string help, bool def = false);
Flag integer(std::string name, int* field, std::string help);
Flag key_value(std::string name, std::map<std::string, std::string>* field, std::string help);
Flag duration(std::string name, long long* seconds, std::string help, std::string def);
Flag with_aliases(Flag f, std::vector<std::string> aliases);
Flag with_shorthand(Flag f, char sh);
Flag hidden(Flag f);

}  // namespace kiln::cli::rows
