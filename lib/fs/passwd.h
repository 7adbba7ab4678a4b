#pragma once
// USER and --chown specs resolved against the image's /etc/passwd and
// /etc/group. Parsing is pure (file texts in, ids out); loaders read the files
// from an image root.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::fs {

struct UserInfo {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> supplementary;  // groups listing the user by name, primary excluded
  std::string home = "/";
  std::string name;  // empty when the uid has no passwd entry
};

// spec: "name", "uid", "name:group", "uid:gid", "name:gid", "uid:group".
// A user without a group gets its passwd primary group; a numeric uid with no
// passwd entry gets gid 0 and home "/" (what Docker's runtime does); "root"
// with no passwd entry is 0:0 (FROM scratch).
// Throws kiln::UsageError: "unable to find user X: no matching entries in
// passwd file" / "unable to find group X: no matching entries in group file".
UserInfo resolve_user(std::string_view spec, std::string_view passwd_text, std::string_view group_text);

struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
};

// COPY/ADD --chown and the owner of a directory WORKDIR creates, as BuildKit
// resolves them: a named user without a group gets its passwd primary group,
// a numeric one gid = uid (passwd is not consulted); ":group" alone means uid
// 0; "root" needs no passwd entry. Unknown names are an error (BuildKit
// silently takes 0 for them: see README, "Where kiln differs").
Owner resolve_chown(std::string_view spec, std::string_view passwd_text, std::string_view group_text);

// The same, reading <root>/etc/passwd and <root>/etc/group (links resolved
// inside root). Missing files count as empty, which is fine for numeric
// specs. Unreadable files: kiln::IoError naming them.
UserInfo load_user(const std::filesystem::path& root, std::string_view spec);
Owner load_chown(const std::filesystem::path& root, std::string_view spec);

}  // namespace kiln::fs
