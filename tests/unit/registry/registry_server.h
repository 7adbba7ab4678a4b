#pragma once
// Runs Debian's docker-registry (distribution 2.8) for a test: a config in a
// temp dir, storage beside it, an optional TLS certificate and htpasswd or
// token auth. Stopped (SIGTERM, then SIGKILL) when the object dies.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/temp_dir.h"

extern char** environ;

namespace kiln::testing {

namespace fs = std::filesystem;

inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

inline void sh(const std::string& cmd) {
  if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("command failed: " + cmd);
}

// A CA and a server certificate for 127.0.0.1/localhost signed by it.
inline void make_tls_files(const TempDir& d) {
  std::string p = d.str();
  sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + p + "/ca.key -out " + p +
     "/ca.pem -days 2 -subj /CN=kiln-test-ca");
  sh("openssl req -newkey rsa:2048 -nodes -keyout " + p + "/server.key -out " + p + "/server.csr -subj /CN=kiln-registry");
  std::ofstream(d.str("server.ext")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  sh("openssl x509 -req -in " + p + "/server.csr -CA " + p + "/ca.pem -CAkey " + p + "/ca.key -CAcreateserial -days 2 -out " +
     p + "/server.pem -extfile " + p + "/server.ext");
}

class RegistryServer {
 public:
  struct Config {
    bool tls = false;
    std::string htpasswd_user, htpasswd_pass;  // Basic auth when set
    std::string token_realm, token_service, token_issuer, token_rootcerts;  // Bearer auth when set
  };

  explicit RegistryServer(Config c) : cfg_(std::move(c)), port_(free_port()) {
    std::string root = dir_.str("storage");
    fs::create_directories(root);
    std::ofstream y(dir_.str("config.yml"));
    y << "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
      << "storage:\n  filesystem:\n    rootdirectory: " << root << "\n  delete:\n    enabled: true\n"
      << "http:\n  addr: 127.0.0.1:" << port_ << "\n";
    if (cfg_.tls) {
      make_tls_files(dir_);
      y << "  tls:\n    certificate: " << dir_.str("server.pem") << "\n    key: " << dir_.str("server.key") << "\n";
    }
    if (!cfg_.htpasswd_user.empty()) {
      sh("htpasswd -Bbc " + dir_.str("htpasswd") + " " + cfg_.htpasswd_user + " " + cfg_.htpasswd_pass);
      y << "auth:\n  htpasswd:\n    realm: kiln-test\n    path: " << dir_.str("htpasswd") << "\n";
    } else if (!cfg_.token_realm.empty()) {
      y << "auth:\n  token:\n    realm: " << cfg_.token_realm << "\n    service: " << cfg_.token_service
        << "\n    issuer: " << cfg_.token_issuer << "\n    rootcertbundle: " << cfg_.token_rootcerts << "\n";
    }
    y.close();
    std::string cfgpath = dir_.str("config.yml");
    std::string logpath = dir_.str("registry.log");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, logpath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char* argv[] = {const_cast<char*>("docker-registry"), const_cast<char*>("serve"), cfgpath.data(), nullptr};
    int rc = posix_spawnp(&pid_, "docker-registry", &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start docker-registry");
    for (int i = 0; i < 200 && !port_open(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!port_open(port_)) throw std::runtime_error("docker-registry did not start; see " + logpath);
  }
  ~RegistryServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st;
      for (int i = 0; i < 100; ++i) {
        if (::waitpid(pid_, &st, WNOHANG) == pid_) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &st, 0);
    }
  }
  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string ca() const { return dir_.str("ca.pem"); }
  // Where the registry keeps a blob's bytes.
  fs::path blob_path(const std::string& digest) const {
    std::string hex = digest.substr(7);
    return dir_.path() / "storage/docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
  }

 private:
  Config cfg_;
  TempDir dir_;
  int port_;
  pid_t pid_ = -1;
};

}  // namespace kiln::testing
