#include "dockerfile/stop_signal.h"

#include <string>

namespace kiln::dockerfile {

bool is_valid_stop_signal(std::string_view s) {
  if (s.empty()) return false;
  bool digits = true;
  for (char c : s) digits = digits && c >= '0' && c <= '9';
  if (digits) return s.size() <= 3 && std::stoi(std::string(s)) > 0 && std::stoi(std::string(s)) <= 255;
  std::string name(s);
  for (char& c : name)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  static const char* const names[] = {"ABRT", "ALRM", "BUS",  "CHLD", "CLD",   "CONT", "FPE",    "HUP",  "ILL",
                                      "INT",  "IO",   "IOT",  "KILL", "PIPE",  "POLL", "PROF",   "PWR",  "QUIT",
                                      "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",  "TTIN", "TTOU",
                                      "URG",  "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX"};
  for (const char* n : names)
    if (name == n) return true;
  // RTMIN+n / RTMAX-n
  for (std::string_view base : {"RTMIN+", "RTMAX-"}) {
    if (name.rfind(base, 0) == 0 && name.size() > base.size()) {
      std::string rest = name.substr(base.size());
      bool ok = rest.size() <= 2;
      for (char c : rest) ok = ok && c >= '0' && c <= '9';
      if (ok) return true;
    }
  }
  return false;
}

}  // namespace kiln::dockerfile
