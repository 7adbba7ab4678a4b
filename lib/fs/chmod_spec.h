#pragma once
// COPY/ADD --chmod: an octal mode ("0755", replacing the permission bits) or,
// as BuildKit's Dockerfile syntax accepts since 1.10, chmod(1)'s symbolic
// form ("u=rwx,g=rx,o=", "+x", "a+rX,go-w") applied to each copied entry's
// own mode. Pure: parsed once, applied per file.
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace kiln::fs {

class ChmodSpec {
 public:
  // Throws kiln::UsageError naming the text on anything chmod(1) would refuse.
  static ChmodSpec parse(std::string_view text);

  // The permission bits (07777) for an entry whose mode is `current`. X adds
  // execute only for directories and entries already executable by someone;
  // with no who letters, a clause applies to all (no umask: a build has none).
  mode_t apply(mode_t current, bool is_dir) const;

  bool octal() const { return octal_; }

 private:
  struct Clause {
    mode_t who = 0;  // bits the clause may touch (u: 04700, g: 02070, o: 01007)
    char op = '=';   // '+', '-', '='
    mode_t perms = 0;       // r/w/x/s/t as bits before masking by who
    bool exec_if = false;   // X
    char copy_from = 0;     // 'u', 'g', 'o' (e.g. "g=u"), 0 when none
  };
  bool octal_ = false;
  mode_t mode_ = 0;
  std::vector<Clause> clauses_;
};

}  // namespace kiln::fs
