#pragma once
// Log lines in kaniko's style: `INFO[0003] message` (seconds since start),
// `INFO[2026-11-22T01:02:03Z] message` with --log-timestamp, or one JSON
// object per line with --log-format=json. A Logger is a value that main()
// creates from the options and passes down; there is no global logger.
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace kiln::log {

enum class Level { Trace = 0, Debug, Info, Warn, Error, Fatal, Panic };
enum class Format { Text, Color, Json };

// Parses kaniko's --verbosity names (panic, fatal, error, warn, info, debug,
// trace). Throws kiln::UsageError for anything else.
Level parse_level(std::string_view name);
Format parse_format(std::string_view name);

class Logger {
 public:
  struct Options {
    Level level = Level::Info;
    Format format = Format::Text;
    bool timestamp = false;
    std::FILE* out = stderr;
  };
  Logger();
  explicit Logger(Options opts);
  // A logger for one part of the build running beside others (a stage):
  // every line it writes, raw output included, starts with `prefix` and
  // goes through `parent`, which must outlive it.
  Logger(Logger& parent, std::string prefix);

  bool enabled(Level l) const { return l >= opts_.level; }
  void write(Level l, std::string_view msg);

  void trace(std::string_view m) { write(Level::Trace, m); }
  void debug(std::string_view m) { write(Level::Debug, m); }
  void info(std::string_view m) { write(Level::Info, m); }
  void warn(std::string_view m) { write(Level::Warn, m); }
  void error(std::string_view m) { write(Level::Error, m); }

  // Raw output (a RUN command's stdout) goes through here so it interleaves
  // cleanly with log lines from other threads.
  void raw(std::string_view bytes);

  const Options& options() const { return opts_; }

 private:
  Options opts_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  Logger* parent_ = nullptr;
  std::string prefix_;
  bool at_line_start_ = true;  // raw output through a parent: where the prefix goes
};

}  // namespace kiln::log
