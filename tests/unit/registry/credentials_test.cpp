#include "registry/credentials.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "registry/base64.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace kiln::registry;

namespace {

class TempDir : public kiln::testing::TempDir {
 public:
  TempDir() : kiln::testing::TempDir("kiln-cred") {}
};

// Puts a directory first on PATH for the lifetime of the object.
class PathPrefix {
 public:
  explicit PathPrefix(const fs::path& dir) : old_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    ::setenv("PATH", (dir.string() + ":" + old_).c_str(), 1);
  }
  ~PathPrefix() { ::setenv("PATH", old_.c_str(), 1); }

 private:
  std::string old_;
};

// A credential helper speaking the docker-credential-helpers protocol. It
// logs the server URL it was asked about next to itself.
const char* kHelper = R"(#!/bin/sh
read -r url
echo "$url" >> "$(dirname "$0")/asked"
case "$url" in
  helper.example|https://index.docker.io/v1/)
    printf '{"ServerURL":"%s","Username":"helperuser","Secret":"helper-secret"}' "$url" ;;
  token.example)
    printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-tok"}' "$url" ;;
  broken.example)
    echo "helper exploded" >&2; exit 3 ;;
  *)
    echo "credentials not found in native keychain"; exit 1 ;;
esac
)";

}  // namespace

TEST(Base64, RoundTrip) {
  for (std::string s : {"", "a", "ab", "abc", "user:pass", "\xff\x00\x10"}) {
    EXPECT_EQ(base64_decode(base64_encode(s)).value(), s);
  }
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_FALSE(base64_decode("not base64!"));
}

TEST(Keychain, MissingFileIsAnonymous) {
  TempDir d;
  auto k = Keychain::load(d.path().string());
  EXPECT_FALSE(k.lookup("reg.example"));
}

TEST(Keychain, AuthsInEveryForm) {
  TempDir d;
  d.write("config.json", R"({
    "auths": {
      "https://index.docker.io/v1/": {"auth": ")" + base64_encode("hubuser:hub:pass") + R"("},
      "reg.example:5000": {"username": "u2", "password": "p2"},
      "http://old.example/v2/": {"auth": ")" + base64_encode("u3:p3") + R"("},
      "idtok.example": {"identitytoken": "refresh-me"},
      "empty.example": {}
    }
  })");
  auto k = Keychain::load(d.path().string());
  auto hub = k.lookup("index.docker.io");
  ASSERT_TRUE(hub);
  EXPECT_EQ(hub->username, "hubuser");
  EXPECT_EQ(hub->password, "hub:pass");  // only the first colon splits
  EXPECT_TRUE(k.lookup("docker.io"));
  auto r = k.lookup("reg.example:5000");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->username, "u2");
  EXPECT_EQ(r->password, "p2");
  EXPECT_FALSE(k.lookup("reg.example"));  // the port is part of the key
  EXPECT_EQ(k.lookup("old.example")->username, "u3");
  EXPECT_EQ(k.lookup("idtok.example")->identity_token, "refresh-me");
  EXPECT_FALSE(k.lookup("empty.example"));
  EXPECT_FALSE(k.lookup("other.example"));
  EXPECT_EQ(k.origin(), (d.path() / "config.json").string());
}

TEST(Keychain, MalformedJsonNamesTheFileButNotItsContent) {
  TempDir d;
  d.write("config.json", R"({"auths": {"r": {"password": "hunter2-secret")");
  try {
    Keychain::load(d.path().string());
    FAIL() << "expected an error";
  } catch (const kiln::UsageError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find((d.path() / "config.json").string()), std::string::npos) << m;
    EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
  }
  d.write("config.json", R"({"auths": {"r": {"auth": "!!!"}}})");
  EXPECT_THROW(Keychain::load(d.path().string()), kiln::UsageError);
  d.write("config.json", R"([1,2])");
  EXPECT_THROW(Keychain::load(d.path().string()), kiln::UsageError);
}

TEST(Keychain, CredentialHelpersAndStore) {
  TempDir bin, cfg;
  bin.write("docker-credential-fake", kHelper, true);
  PathPrefix path(bin.path());
  cfg.write("config.json", R"({
    "auths": {"fallback.example": {"username": "fu", "password": "fp"}},
    "credHelpers": {"helper.example": "fake", "broken.example": "fake", "token.example": "fake",
                    "missing.example": "fake", "nohelper.example": "does-not-exist"},
    "credsStore": "fake"
  })");
  auto k = Keychain::load(cfg.path().string());
  auto h = k.lookup("helper.example");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->username, "helperuser");
  EXPECT_EQ(h->password, "helper-secret");
  auto t = k.lookup("token.example");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->username.empty());
  EXPECT_EQ(t->identity_token, "refresh-tok");
  EXPECT_FALSE(k.lookup("missing.example"));  // "credentials not found" = anonymous
  // credsStore answers for registries without a credHelpers entry; Docker
  // Hub is asked for with its v1 URL.
  auto hub = k.lookup("index.docker.io");
  ASSERT_TRUE(hub);
  EXPECT_EQ(hub->username, "helperuser");
  // The store knows nothing about this one: the auths entry is used.
  EXPECT_EQ(k.lookup("fallback.example")->username, "fu");
  try {
    k.lookup("broken.example");
    FAIL() << "expected an error";
  } catch (const kiln::IoError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("docker-credential-fake"), std::string::npos) << m;
    EXPECT_NE(m.find("broken.example"), std::string::npos) << m;
    EXPECT_NE(m.find("helper exploded"), std::string::npos) << m;
  }
  EXPECT_THROW(k.lookup("nohelper.example"), kiln::IoError);
  std::ifstream asked(bin.path() / "asked");
  std::string all((std::istreambuf_iterator<char>(asked)), {});
  EXPECT_NE(all.find("https://index.docker.io/v1/\n"), std::string::npos) << all;
  EXPECT_NE(all.find("helper.example\n"), std::string::npos) << all;
}

// The executor runs with SIGTERM and SIGINT blocked (its interrupt watcher
// takes them); a credential helper must not inherit that mask.
TEST(Keychain, HelperStartsWithNoSignalsBlocked) {
  TempDir bin, cfg;
  bin.write("docker-credential-mask", R"(#!/bin/sh
read -r url
blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/self/status)
printf '{"ServerURL":"%s","Username":"mask","Secret":"%s"}' "$url" "$blk"
)",
            true);
  PathPrefix path(bin.path());
  cfg.write("config.json", R"({"credHelpers": {"mask.example": "mask"}})");
  auto k = Keychain::load(cfg.path().string());
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &old), 0);
  auto c = k.lookup("mask.example");
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(c);
  // sed reads its own status; the shell passes its mask on to it. A blocked
  // SIGTERM (15) would show as bit 14: 0000000000004000.
  ASSERT_EQ(c->password.size(), 16u) << c->password;
  EXPECT_EQ(c->password, "0000000000000000");
}

TEST(Keychain, NormalisesKeys) {
  EXPECT_EQ(normalise_registry_key("https://index.docker.io/v1/"), "index.docker.io");
  EXPECT_EQ(normalise_registry_key("docker.io"), "index.docker.io");
  EXPECT_EQ(normalise_registry_key("registry-1.docker.io"), "index.docker.io");
  EXPECT_EQ(normalise_registry_key("http://Reg.Example:5000/v2/"), "reg.example:5000");
  EXPECT_EQ(normalise_registry_key("127.0.0.1:5000"), "127.0.0.1:5000");
}
