#include "log/log.h"

#include <ctime>

#include "base/error.h"
#include "base/utc_time.h"

namespace kiln::log {
namespace {

const char* short_name(Level l) {
  switch (l) {
    case Level::Trace: return "TRAC";
    case Level::Debug: return "DEBU";
    case Level::Info: return "INFO";
    case Level::Warn: return "WARN";
    case Level::Error: return "ERRO";
    case Level::Fatal: return "FATA";
    case Level::Panic: return "PANI";
  }
  return "INFO";
}

const char* long_name(Level l) {
  switch (l) {
    case Level::Trace: return "trace";
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warning";
    case Level::Error: return "error";
    case Level::Fatal: return "fatal";
    case Level::Panic: return "panic";
  }
  return "info";
}

// Colours as logrus uses them: blue info, yellow warn, red error, grey debug.
const char* colour(Level l) {
  switch (l) {
    case Level::Trace:
    case Level::Debug: return "\x1b[37m";
    case Level::Info: return "\x1b[36m";
    case Level::Warn: return "\x1b[33m";
    default: return "\x1b[31m";
  }
}

std::string iso_now() { return rfc3339_utc(std::time(nullptr)); }

void json_escape(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

}  // namespace

Level parse_level(std::string_view n) {
  if (n == "trace") return Level::Trace;
  if (n == "debug") return Level::Debug;
  if (n == "info") return Level::Info;
  if (n == "warn" || n == "warning") return Level::Warn;
  if (n == "error") return Level::Error;
  if (n == "fatal") return Level::Fatal;
  if (n == "panic") return Level::Panic;
  throw UsageError("invalid --verbosity '" + std::string(n) +
                   "': use one of panic, fatal, error, warn, info, debug, trace");
}

Format parse_format(std::string_view n) {
  if (n == "text") return Format::Text;
  if (n == "color") return Format::Color;
  if (n == "json") return Format::Json;
  throw UsageError("invalid --log-format '" + std::string(n) + "': use text, color or json");
}

Logger::Logger() : Logger(Options{}) {}
Logger::Logger(Options opts) : opts_(opts), start_(std::chrono::steady_clock::now()) {}

Logger::Logger(Logger& parent, std::string prefix)
    : opts_(parent.opts_), start_(parent.start_), parent_(&parent), prefix_(std::move(prefix)) {}

void Logger::write(Level l, std::string_view msg) {
  if (!enabled(l)) return;
  if (parent_) {
    parent_->write(l, prefix_ + std::string(msg));
    return;
  }
  std::string line;
  if (opts_.format == Format::Json) {
    line = "{\"level\":\"";
    line += long_name(l);
    line += "\",\"msg\":\"";
    json_escape(line, msg);
    line += "\",\"time\":\"" + iso_now() + "\"}\n";
  } else {
    std::string stamp;
    if (opts_.timestamp) {
      stamp = iso_now();
    } else {
      auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::steady_clock::now() - start_).count();
      char b[16];
      std::snprintf(b, sizeof b, "%04lld", static_cast<long long>(secs));
      stamp = b;
    }
    if (opts_.format == Format::Color) {
      line = std::string(colour(l)) + short_name(l) + "\x1b[0m[" + stamp + "] ";
    } else {
      line = std::string(short_name(l)) + "[" + stamp + "] ";
    }
    line += msg;
    line += '\n';
  }
  std::lock_guard<std::mutex> g(mu_);
  std::fwrite(line.data(), 1, line.size(), opts_.out);
  std::fflush(opts_.out);
}

void Logger::raw(std::string_view bytes) {
  std::lock_guard<std::mutex> g(mu_);
  if (parent_) {
    std::string out;
    for (char c : bytes) {
      if (at_line_start_) out += prefix_;
      out += c;
      at_line_start_ = c == '\n';
    }
    parent_->raw(out);
    return;
  }
  std::fwrite(bytes.data(), 1, bytes.size(), opts_.out);
  std::fflush(opts_.out);
}

}  // namespace kiln::log
