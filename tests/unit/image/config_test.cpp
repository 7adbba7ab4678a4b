#include "image/config.h"

#include <gtest/gtest.h>

// Platforms are written as {os, arch[, variant]}; os_version stays empty.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "base/error.h"

namespace kiln::image {
namespace {

const char* kDockerConfig = R"({
  "architecture": "arm64", "variant": "v8", "os": "linux",
  "created": "2024-01-01T00:00:00Z",
  "docker_version": "24.0.7",
  "container_config": {"Hostname": "abc"},
  "config": {
    "Env": ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"],
    "Cmd": ["/bin/sh"],
    "Entrypoint": null,
    "WorkingDir": "/app",
    "Labels": {"a": "1"},
    "ExposedPorts": {"80/tcp": {}},
    "Volumes": {"/data": {}},
    "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 30000000000, "Retries": 3},
    "OnBuild": ["RUN echo hi"],
    "Shell": ["/bin/bash", "-c"],
    "ArgsEscaped": true,
    "StopSignal": "SIGTERM",
    "User": "1000:1000",
    "X-Vendor": {"keep": "me"}
  },
  "rootfs": {"type": "layers", "diff_ids": ["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]},
  "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file", "empty_layer": false},
              {"created_by": "CMD [\"/bin/sh\"]", "empty_layer": true, "comment": "buildkit"}]
})";

TEST(Config, DefaultsAreAValidEmptyImage) {
  Config c;
  EXPECT_EQ(c.os(), "linux");
  EXPECT_EQ(c.architecture(), "amd64");
  EXPECT_TRUE(c.diff_ids().empty());
  EXPECT_EQ(c.json()["rootfs"]["type"], "layers");
  EXPECT_FALSE(c.cmd().has_value());
}

TEST(Config, ReadsEveryModelledField) {
  auto c = Config::parse(kDockerConfig);
  EXPECT_EQ(c.platform().str(), "linux/arm64/v8");
  EXPECT_EQ(c.created(), "2024-01-01T00:00:00Z");
  EXPECT_EQ(c.env(), (std::vector<std::string>{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}));
  EXPECT_EQ(c.env_value("LANG"), "C.UTF-8");
  EXPECT_FALSE(c.env_value("LAN").has_value());
  EXPECT_EQ(c.cmd(), std::vector<std::string>{"/bin/sh"});
  EXPECT_FALSE(c.entrypoint().has_value());
  EXPECT_EQ(c.working_dir(), "/app");
  EXPECT_EQ(c.user(), "1000:1000");
  EXPECT_EQ(c.labels().at("a"), "1");
  EXPECT_EQ(c.exposed_ports(), std::set<std::string>{"80/tcp"});
  EXPECT_EQ(c.volumes(), std::set<std::string>{"/data"});
  ASSERT_TRUE(c.healthcheck());
  EXPECT_EQ(c.healthcheck()->test, (std::vector<std::string>{"CMD-SHELL", "true"}));
  EXPECT_EQ(c.healthcheck()->interval, 30000000000);
  EXPECT_EQ(c.healthcheck()->retries, 3);
  EXPECT_EQ(c.on_build(), std::vector<std::string>{"RUN echo hi"});
  EXPECT_EQ(c.shell(), (std::vector<std::string>{"/bin/bash", "-c"}));
  EXPECT_TRUE(c.args_escaped());
  EXPECT_EQ(c.stop_signal(), "SIGTERM");
  EXPECT_EQ(c.diff_ids().size(), 1u);
  auto h = c.history();
  ASSERT_EQ(h.size(), 2u);
  EXPECT_FALSE(h[0].empty_layer);
  EXPECT_TRUE(h[1].empty_layer);
  EXPECT_EQ(h[1].comment, "buildkit");
}

TEST(Config, UnknownFieldsSurviveChanges) {
  auto c = Config::parse(kDockerConfig);
  c.set_env_value("LANG", "en_US.UTF-8");
  c.set_env_value("NEW", "x=y");
  c.add_diff_id("sha256:" + std::string(64, 'a'));
  c.add_history({"2024-02-02T00:00:00Z", "RUN make", "", "", false});
  auto back = Config::parse(c.dump());
  EXPECT_EQ(back.json()["docker_version"], "24.0.7");
  EXPECT_EQ(back.json()["container_config"]["Hostname"], "abc");
  EXPECT_EQ(back.json()["config"]["X-Vendor"]["keep"], "me");
  EXPECT_EQ(back.env(), (std::vector<std::string>{"PATH=/usr/bin:/bin", "LANG=en_US.UTF-8", "NEW=x=y"}));
  EXPECT_EQ(back.diff_ids().size(), 2u);
  EXPECT_EQ(back.history().size(), 3u);
  EXPECT_EQ(back.history()[2].created_by, "RUN make");
}

TEST(Config, SettersRoundTripAndEmptyRemoves) {
  Config c;
  c.set_cmd(std::vector<std::string>{});
  EXPECT_TRUE(c.json()["config"].contains("Cmd"));  // [] is not absent
  EXPECT_EQ(c.cmd(), std::vector<std::string>{});
  c.set_cmd(std::nullopt);
  EXPECT_FALSE(c.json()["config"].contains("Cmd"));
  c.set_entrypoint(std::vector<std::string>{"/app"});
  EXPECT_EQ(c.entrypoint(), std::vector<std::string>{"/app"});
  c.set_labels({{"k", "v"}});
  c.set_labels({});
  EXPECT_FALSE(c.json()["config"].contains("Labels"));
  c.set_exposed_ports({"443/tcp", "53/udp"});
  EXPECT_EQ(c.json()["config"]["ExposedPorts"]["53/udp"], nlohmann::json::object());
  c.set_volumes({"/v"});
  Healthcheck hc{{"NONE"}};
  c.set_healthcheck(hc);
  EXPECT_EQ(c.healthcheck(), hc);
  c.set_working_dir("");
  EXPECT_FALSE(c.json()["config"].contains("WorkingDir"));
  c.set_args_escaped(true);
  c.set_shell({"/bin/ash", "-eo", "pipefail", "-c"});
  c.set_on_build({"COPY . /src"});
  c.set_stop_signal("SIGQUIT");
  c.set_user("app");
  c.set_platform({"linux", "arm", "v7"});
  auto back = Config::parse(c.dump());
  EXPECT_EQ(back.dump(), c.dump());
  EXPECT_EQ(back.exposed_ports().size(), 2u);
  EXPECT_EQ(back.platform().str(), "linux/arm/v7");
}

TEST(Config, DumpIsDeterministic) {
  Config a, b;
  a.set_user("u");
  a.set_env({"A=1"});
  b.set_env({"A=1"});
  b.set_user("u");
  EXPECT_EQ(a.dump(), b.dump());
  EXPECT_EQ(a.dump().find('\n'), std::string::npos);
}

TEST(Config, NullConfigObjectIsTolerated) {
  auto c = Config::parse(R"({"os":"linux","architecture":"amd64","config":null,"rootfs":{"type":"layers","diff_ids":[]}})");
  EXPECT_TRUE(c.env().empty());
  c.set_env_value("A", "b");
  EXPECT_EQ(c.env_value("A"), "b");
}

TEST(Config, WrongTypesAndBadInputAreErrors) {
  EXPECT_THROW(Config::parse("not json"), Error);
  EXPECT_THROW(Config::parse("[1,2]"), Error);
  auto c = Config::parse(R"({"config":{"Env":"PATH=/bin","Labels":[]}})");
  try {
    c.env();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Env"), std::string::npos);
  }
  EXPECT_THROW(c.labels(), Error);
  Config d;
  EXPECT_THROW(d.add_diff_id("sha256:nothex"), Error);
}

}  // namespace
}  // namespace kiln::image
