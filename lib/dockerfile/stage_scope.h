#pragma once
// The variables visible while one stage is walked in order. BuildKit keeps
// two lists: the image config Env (ENV only, starting from the base image's)
// and the build state's env, where both ENV and ARG write and the latest
// write wins. Expansion and RUN use the state env; only the config Env goes
// into the image, so ARG values are never persisted.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dockerfile/build_args.h"
#include "dockerfile/instructions.h"
#include "dockerfile/shell_lexer.h"

namespace kiln::dockerfile {

class StageScope {
 public:
  // inherited_state: a parent stage's state env (FROM <stage>), layered over base_env.
  StageScope(const BuildArgs& args, const std::vector<std::string>& base_env,
             const std::vector<std::string>& inherited_state, char escape);
  StageScope(const StageScope&) = delete;  // lookup() captures this
  StageScope& operator=(const StageScope&) = delete;

  // For expanding words: the state env.
  EnvLookup lookup() const;
  std::string expand(std::string_view word) const;
  std::vector<std::string> expand_words(std::string_view text) const;

  // ENV: both the config and the state env.
  void set_env(const std::string& key, const std::string& value);

  // ARG: the build-arg value if given; else the default expanded now; else
  // the global ARG of the same name.
  struct DeclaredArg {
    std::optional<std::string> expanded_default;  // nullopt when the ARG had none
    std::optional<std::string> value;             // nullopt: declared without a value
  };
  DeclaredArg declare_arg(const ArgDecl& decl);

  const std::vector<std::string>& config_env() const { return config_; }
  const std::vector<std::string>& state_env() const { return state_; }
  // The state env plus proxy build-args: what a RUN sees.
  std::vector<std::string> run_env() const;
  // Every ARG declared in the stage so far with its current value ("" when
  // unset), proxies left out: history's "|N k=v" prefix.
  std::vector<std::pair<std::string, std::string>> declared_args_for_history() const;

  const ShellLexer& lexer() const { return lexer_; }

 private:
  const BuildArgs& args_;
  std::vector<std::string> config_;    // "K=V", unique keys, in config order
  std::vector<std::string> state_;     // "K=V", unique keys
  std::vector<std::string> declared_;  // ARG names in declaration order, unique
  ShellLexer lexer_;
};

}  // namespace kiln::dockerfile
