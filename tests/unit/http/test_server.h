#pragma once
// A tiny HTTP/1.1 server for tests: one request per connection, answered by a
// handler on a background thread. Enough to play a registry's edge cases, a
// proxy, a redirect target or a token server. Records every request.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kiln::testing {

struct SeenRequest {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-case names
  bool has(const std::string& h) const { return headers.count(h) != 0; }
};

struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class TestServer {
 public:
  using Handler = std::function<Reply(const SeenRequest&)>;

  explicit TestServer(Handler h) : handler_(std::move(h)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { loop(); });
  }
  ~TestServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<SeenRequest> requests() {
    std::lock_guard lk(mu_);
    return seen_;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      serve(c);
      ::close(c);
    }
  }
  static std::string lower(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  }
  void serve(int c) {
    timeval tv{5, 0};  // a stuck client must not wedge the test
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string buf;
    char tmp[65536];
    std::size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) return;
      buf.append(tmp, n);
      // A TLS ClientHello (record type 0x16): this server speaks plain HTTP
      // only; closing makes the client's HTTPS attempt fail at once.
      if (static_cast<unsigned char>(buf[0]) == 0x16) return;
    }
    SeenRequest r;
    std::string head = buf.substr(0, head_end);
    std::string rest = buf.substr(head_end + 4);
    auto eol = head.find("\r\n");
    std::string line = head.substr(0, eol);
    auto sp1 = line.find(' '), sp2 = line.rfind(' ');
    r.method = line.substr(0, sp1);
    r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t pos = eol == std::string::npos ? head.size() : eol + 2;
    while (pos < head.size()) {
      auto e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string h = head.substr(pos, e - pos);
      auto colon = h.find(':');
      if (colon != std::string::npos) {
        std::string v = h.substr(colon + 1);
        v.erase(0, v.find_first_not_of(' '));
        r.headers[lower(h.substr(0, colon))] = v;
      }
      pos = e + 2;
    }
    auto read_more = [&]() {
      ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      rest.append(tmp, n);
      return true;
    };
    if (r.headers.count("content-length")) {
      std::size_t want = std::stoul(r.headers["content-length"]);
      while (rest.size() < want && read_more()) {
      }
      r.body = rest.substr(0, want);
    } else if (lower(r.headers["transfer-encoding"]) == "chunked") {
      std::size_t at = 0;
      for (;;) {
        std::size_t le;
        while ((le = rest.find("\r\n", at)) == std::string::npos && read_more()) {
        }
        if (le == std::string::npos) break;
        std::size_t sz = std::stoul(rest.substr(at, le - at), nullptr, 16);
        while (rest.size() < le + 2 + sz + 2 && read_more()) {
        }
        if (sz == 0) break;
        r.body += rest.substr(le + 2, sz);
        at = le + 2 + sz + 2;
      }
    }
    Reply rep = handler_(r);
    {
      std::lock_guard lk(mu_);
      seen_.push_back(r);
    }
    std::string out = "HTTP/1.1 " + std::to_string(rep.status) + " X\r\n";
    bool has_len = false;
    for (auto& [k, v] : rep.headers) {
      out += k + ": " + v + "\r\n";
      if (lower(k) == "content-length") has_len = true;
    }
    if (!has_len) out += "Content-Length: " + std::to_string(rep.body.size()) + "\r\n";
    out += "Connection: close\r\n\r\n";
    if (r.method != "HEAD") out += rep.body;
    std::size_t off = 0;
    while (off < out.size()) {
      ssize_t n = ::send(c, out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += n;
    }
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<SeenRequest> seen_;
};

}  // namespace kiln::testing
