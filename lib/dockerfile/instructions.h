#pragma once
// Typed Dockerfile instructions. Built from parser Nodes by to_instruction();
// values are as written (not yet expanded) until evaluate.h expands them.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "dockerfile/mount_spec.h"
#include "dockerfile/parsed_file.h"

namespace kiln::dockerfile {

struct KeyValue {
  std::string key;
  std::string value;
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

struct FromInst {
  std::string image;       // "scratch", "alpine:3.19", "$BASE", a stage name...
  std::string stage_name;  // after AS, lower-cased; empty when none
  std::string platform;    // --platform value; empty when none
};

// RUN, CMD and ENTRYPOINT share the shape: the exec form's argv, or one
// string for the shell form (prepend_shell), to be run by the SHELL in effect.
struct CommandLine {
  std::vector<std::string> args;
  bool prepend_shell = false;  // shell form
};

struct RunInst {
  CommandLine cmd;
  std::vector<Heredoc> heredocs;  // bodies of <<EOF words, in order
  std::vector<MountSpec> mounts;
  std::string network;   // "", "default", "none", "host"
  std::string security;  // "", "sandbox", "insecure"
};

struct CmdInst {
  CommandLine cmd;
};
struct EntrypointInst {
  CommandLine cmd;
};
struct LabelInst {
  std::vector<KeyValue> labels;
};
struct MaintainerInst {
  std::string name;
};
struct ExposeInst {
  std::vector<std::string> ports;  // "80", "80/tcp", "8000-8010/udp"
};
struct EnvInst {
  std::vector<KeyValue> vars;
};

// A file whose content comes from a heredoc: COPY <<EOF /dest.
struct InlineSource {
  Heredoc doc;  // doc.name is the file name inside the destination dir
};

struct AddInst {
  std::vector<std::string> sources;
  std::vector<Heredoc> inline_sources;  // heredoc sources, in order
  std::string dest;
  std::string chown, chmod, checksum;
  bool keep_git_dir = false;
  bool link = false;
  std::vector<std::string> excludes;
};

struct CopyInst {
  std::vector<std::string> sources;
  std::vector<Heredoc> inline_sources;
  std::string dest;
  std::string from;  // stage name, stage index or image reference; empty = context
  std::string chown, chmod;
  bool link = false;
  bool parents = false;
  std::vector<std::string> excludes;
};

struct VolumeInst {
  std::vector<std::string> volumes;
};
struct UserInst {
  std::string user;
};
struct WorkdirInst {
  std::string path;
};

struct ArgDecl {
  std::string key;
  std::optional<std::string> default_value;  // nullopt for "ARG name"
  friend bool operator==(const ArgDecl&, const ArgDecl&) = default;
};
struct ArgInst {
  std::vector<ArgDecl> args;
};

struct Instruction;
struct OnbuildInst {
  std::string expression;                    // the trigger text, as stored in the image config
  std::shared_ptr<const Instruction> inner;  // the trigger parsed
};

struct StopSignalInst {
  std::string signal;
};

// Docker's HealthConfig: durations in nanoseconds, 0 meaning "inherit/default".
struct HealthcheckInst {
  std::vector<std::string> test;  // {"NONE"}, {"CMD", argv...} or {"CMD-SHELL", cmd}
  std::int64_t interval_ns = 0;
  std::int64_t timeout_ns = 0;
  std::int64_t start_period_ns = 0;
  std::int64_t start_interval_ns = 0;
  int retries = 0;
};

struct ShellInst {
  std::vector<std::string> shell;
};

using InstructionKind =
    std::variant<FromInst, RunInst, CmdInst, LabelInst, MaintainerInst, ExposeInst, EnvInst, AddInst, CopyInst,
                 EntrypointInst, VolumeInst, UserInst, WorkdirInst, ArgInst, OnbuildInst, StopSignalInst,
                 HealthcheckInst, ShellInst>;

struct Instruction {
  InstructionKind kind;
  std::string keyword;   // upper case: "RUN"
  std::string original;  // the logical source line
  int start_line = 0;
  int end_line = 0;

  template <class T>
  const T* as() const { return std::get_if<T>(&kind); }
  template <class T>
  T* as() { return std::get_if<T>(&kind); }
};

// Node -> typed instruction. Throws kiln::UsageError naming file:line for an
// unknown instruction (with a suggestion), unknown/duplicate/malformed flags
// and wrong argument counts.
Instruction to_instruction(const Node& node, std::string_view filename);

}  // namespace kiln::dockerfile
