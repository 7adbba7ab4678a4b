#include "steps/mount_journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace kiln::steps {

namespace {

const char* op_name(JournalEntry::Op op) {
  switch (op) {
    case JournalEntry::Op::Mkdir: return "mkdir";
    case JournalEntry::Op::Aside: return "aside";
    case JournalEntry::Op::MoveIn: return "movein";
    case JournalEntry::Op::CopyIn: return "copyin";
    case JournalEntry::Op::Placed: return "placed";
  }
  return "?";
}

bool op_of(std::string_view name, JournalEntry::Op& op) {
  for (auto o : {JournalEntry::Op::Mkdir, JournalEntry::Op::Aside, JournalEntry::Op::MoveIn, JournalEntry::Op::CopyIn,
                 JournalEntry::Op::Placed})
    if (name == op_name(o)) {
      op = o;
      return true;
    }
  return false;
}

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

bool unescape(std::string_view s, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == s.size()) return false;
    if (s[i] == '\\') out += '\\';
    else if (s[i] == 't') out += '\t';
    else if (s[i] == 'n') out += '\n';
    else return false;
  }
  return true;
}

}  // namespace

std::string format_entry(const JournalEntry& e) {
  return std::string(op_name(e.op)) + "\t" + escape(e.a) + "\t" + escape(e.b) + "\n";
}

std::vector<JournalEntry> parse_journal(std::string_view text) {
  std::vector<JournalEntry> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    if (nl == std::string_view::npos) break;  // a torn last line
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    auto t1 = line.find('\t');
    auto t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos || line.find('\t', t2 + 1) != std::string_view::npos) continue;
    JournalEntry e;
    if (!op_of(line.substr(0, t1), e.op)) continue;
    if (!unescape(line.substr(t1 + 1, t2 - t1 - 1), e.a) || !unescape(line.substr(t2 + 1), e.b) || e.a.empty())
      continue;
    out.push_back(std::move(e));
  }
  return out;
}

MountJournal::MountJournal(std::filesystem::path file) : file_(std::move(file)) {
  fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) throw IoError("RUN --mount journal " + file_.string() + ": " + std::strerror(errno));
  int rc;
  while ((rc = ::flock(fd_, LOCK_EX)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    int e = errno;
    ::close(fd_);
    throw IoError("RUN --mount journal " + file_.string() + ": lock: " + std::strerror(e));
  }
}

MountJournal::~MountJournal() {
  if (fd_ >= 0) ::close(fd_);
}

void MountJournal::record(const JournalEntry& e) {
  std::string line = format_entry(e);
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw IoError("RUN --mount journal " + file_.string() + ": write: " + std::strerror(errno));
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // No fsync: the journal is for the death of the process (its write is in
  // the page cache at once), not of the machine, which takes the container's
  // root with it.
}

void MountJournal::clear() noexcept {
  (void)!::ftruncate(fd_, 0);
}

}  // namespace kiln::steps
