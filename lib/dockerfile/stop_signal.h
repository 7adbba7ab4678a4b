#pragma once
// STOPSIGNAL accepts what Docker's signal.ParseSignal accepts: a number, or
// a Linux signal name with or without the SIG prefix (SIGRTMIN+3 included).
#include <string_view>

namespace kiln::dockerfile {

bool is_valid_stop_signal(std::string_view s);

}  // namespace kiln::dockerfile
