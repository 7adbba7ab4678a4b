#pragma once
// Whether the layer cache's repository is checked for push permission before
// the build, and what a refusal does. kaniko (CheckPushPermissions) checks
// the cache repository only with --no-push and an explicit --cache-repo, and
// fails the build when it is refused; when it pushes the image it checks the
// destinations only, and the cache pushes fail later as warnings. kiln does
// the same, but also checks in that second case, where a refusal is a
// warning given before the build and the build stores nothing in the cache.
// Pure: decided from the flags alone.
#include <string>

namespace kiln::cmd {

enum class CachePushCheck {
  None,             // nothing checked
  FailWhenRefused,  // kaniko's case: --no-push with --cache-repo
  WarnWhenRefused,  // the build goes on, reading the cache but storing nothing
};

struct CachePushCheckInputs {
  bool cache = false;                  // --cache
  std::string cache_repo_flag;         // --cache-repo as given ("" = inferred from the destination)
  bool pushing = true;                 // the image is pushed (no --no-push)
  bool no_push_cache = false;          // --no-push-cache: nothing is written to the cache
  bool skip_check = false;             // --skip-push-permission-check
  bool dryrun = false;                 // --dryrun writes nothing
};

// A local cache (--cache-repo=oci:/path) is never checked here: opening it
// creates the directory and takes its lock, which is the write check
// (cache/entry_store.h), and a failure there is already a warning.
CachePushCheck cache_push_check(const CachePushCheckInputs& in);

}  // namespace kiln::cmd
