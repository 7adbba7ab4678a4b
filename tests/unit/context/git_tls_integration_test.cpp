// The IP-SAN acceptance that libgit2's certificate callback relies on, on
// certificates made by openssl as a user would make them.
#include "context/git_tls.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include "support/temp_dir.h"

using namespace kiln::context;

namespace {

class GitTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new kiln::testing::TempDir("kiln-gittls");
    ca("ca");
    ca("otherca");
    leaf("ip", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    leaf("stranger", "otherca", "subjectAltName=IP:127.0.0.1");
    leaf("dnsonly", "ca", "subjectAltName=DNS:127.0.0.1");
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string p(const std::string& name) { return (dir_->path() / name).string(); }
  static void run(const std::string& cmd) { ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd; }
  static void ca(const std::string& name) {
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + p(name + ".key") + " -out " + p(name + ".pem") +
        " -days 2 -subj /CN=" + name + " -addext basicConstraints=critical,CA:TRUE");
  }
  static void leaf(const std::string& name, const std::string& signer, const std::string& ext) {
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + p(name + ".key") + " -out " + p(name + ".csr") +
        " -subj /CN=kiln-" + name);
    std::ofstream(p(name + ".ext")) << ext << "\n";
    run("openssl x509 -req -in " + p(name + ".csr") + " -CA " + p(signer + ".pem") + " -CAkey " +
        p(signer + ".key") + " -CAcreateserial -days 2 -outform DER -out " + p(name + ".der") + " -extfile " +
        p(name + ".ext"));
  }
  static std::vector<unsigned char> der(const std::string& name) {
    std::ifstream f(p(name + ".der"), std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  }
  static bool trusted(const std::string& leaf_name, const std::string& host, const std::string& ca_file,
                      const std::string& ca_dir = "") {
    auto d = der(leaf_name);
    EXPECT_FALSE(d.empty()) << leaf_name;
    return leaf_trusted_for_ip(d.data(), d.size(), host, ca_file, ca_dir);
  }

  static kiln::testing::TempDir* dir_;
};
kiln::testing::TempDir* GitTlsTest::dir_ = nullptr;

}  // namespace

TEST_F(GitTlsTest, AcceptsTheIpSanOfALeafSignedByATrustedCa) {
  EXPECT_TRUE(trusted("ip", "127.0.0.1", p("ca.pem")));
}

TEST_F(GitTlsTest, RejectsAnotherIpOrAHostName) {
  EXPECT_FALSE(trusted("ip", "127.0.0.2", p("ca.pem")));
  // Host names are mbedTLS's own business; this path is for IP literals only.
  EXPECT_FALSE(trusted("ip", "localhost", p("ca.pem")));
  // A DNS entry spelled like the IP is not an iPAddress entry.
  EXPECT_FALSE(trusted("dnsonly", "127.0.0.1", p("ca.pem")));
}

TEST_F(GitTlsTest, RejectsALeafFromAnUntrustedCa) {
  EXPECT_FALSE(trusted("stranger", "127.0.0.1", p("ca.pem")));
  EXPECT_TRUE(trusted("stranger", "127.0.0.1", p("otherca.pem")));
}

TEST_F(GitTlsTest, RejectsWithoutAnyCaOrWithGarbage) {
  EXPECT_FALSE(trusted("ip", "127.0.0.1", ""));
  EXPECT_FALSE(trusted("ip", "127.0.0.1", p("missing.pem")));
  const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
  EXPECT_FALSE(leaf_trusted_for_ip(junk, sizeof junk, "127.0.0.1", p("ca.pem"), ""));
  EXPECT_FALSE(leaf_trusted_for_ip(nullptr, 0, "127.0.0.1", p("ca.pem"), ""));
}
