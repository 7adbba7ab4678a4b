#include <gtest/gtest.h>

#include "base/error.h"
#include "dockerfile/instructions.h"
#include "dockerfile/parser.h"
#include "support/usage_error.h"

using namespace kiln::dockerfile;

namespace {
// Parses "FROM a\n<line>" and returns the second instruction.
Instruction second(const std::string& line) {
  auto f = parse("FROM a\n" + line + "\n", "Dockerfile");
  return to_instruction(f.nodes.at(1), "Dockerfile");
}

std::string error_of(const std::string& line) {
  return kiln::testing::usage_error_of([&] {
    auto f = parse("FROM a\n" + line + "\n", "Dockerfile");
    for (const auto& n : f.nodes) to_instruction(n, "Dockerfile");
  });
}
}  // namespace

TEST(Instructions, From) {
  auto f = parse("FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\nFROM scratch\n", "Dockerfile");
  auto a = to_instruction(f.nodes[0], "Dockerfile");
  const FromInst* from = a.as<FromInst>();
  ASSERT_NE(from, nullptr);
  EXPECT_EQ(from->image, "golang:1.22");
  EXPECT_EQ(from->stage_name, "build");
  EXPECT_EQ(from->platform, "$BUILDPLATFORM");
  EXPECT_EQ(a.keyword, "FROM");
  auto b = to_instruction(f.nodes[1], "Dockerfile");
  EXPECT_EQ(b.as<FromInst>()->image, "scratch");
  EXPECT_TRUE(b.as<FromInst>()->stage_name.empty());
}

TEST(Instructions, FromErrors) {
  EXPECT_EQ(error_of("FROM a b"), "Dockerfile:2: FROM requires either one or three arguments: FROM [--platform=...] image [AS name]");
  EXPECT_EQ(error_of("FROM a IS b"), "Dockerfile:2: FROM expects AS before the stage name, got \"IS\"");
  EXPECT_EQ(error_of("FROM a AS 1st"),
            "Dockerfile:2: invalid name for build stage: \"1st\", name can't start with a number or contain symbols");
  EXPECT_EQ(error_of("FROM a AS b$c"),
            "Dockerfile:2: invalid name for build stage: \"b$c\", name can't start with a number or contain symbols");
  EXPECT_EQ(error_of("FROM --platfrom=linux/amd64 a"),
            "Dockerfile:2: FROM: unknown flag: --platfrom (did you mean --platform?)");
}

TEST(Instructions, UnknownInstructionSuggests) {
  EXPECT_EQ(error_of("FORM alpine"), "Dockerfile:2: unknown instruction: FORM (did you mean FROM?)");
  EXPECT_EQ(error_of("RUNN x"), "Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)");
  EXPECT_EQ(error_of("XYZZYQ x"), "Dockerfile:2: unknown instruction: XYZZYQ");
  EXPECT_EQ(error_of("cpoy a b"), "Dockerfile:2: unknown instruction: CPOY (did you mean COPY?)");
}

TEST(Instructions, RunShellAndExecForms) {
  auto a = second("RUN echo $HOME");
  ASSERT_NE(a.as<RunInst>(), nullptr);
  EXPECT_TRUE(a.as<RunInst>()->cmd.prepend_shell);
  EXPECT_EQ(a.as<RunInst>()->cmd.args, std::vector<std::string>{"echo $HOME"});
  auto b = second("RUN [\"/bin/bash\", \"-c\", \"echo hello\"]");
  EXPECT_FALSE(b.as<RunInst>()->cmd.prepend_shell);
  EXPECT_EQ(b.as<RunInst>()->cmd.args, (std::vector<std::string>{"/bin/bash", "-c", "echo hello"}));
  EXPECT_EQ(error_of("RUN"), "Dockerfile:2: RUN requires at least one argument");
}

TEST(Instructions, RunNetworkAndSecurity) {
  auto a = second("RUN --network=none --security=insecure make");
  EXPECT_EQ(a.as<RunInst>()->network, "none");
  EXPECT_EQ(a.as<RunInst>()->security, "insecure");
  EXPECT_EQ(error_of("RUN --network=bridge x"),
            "Dockerfile:2: RUN: unsupported network mode \"bridge\" (use default, none or host)");
  EXPECT_EQ(error_of("RUN --security=x y"),
            "Dockerfile:2: RUN: unsupported security mode \"x\" (use sandbox or insecure)");
  EXPECT_EQ(error_of("RUN --network=host --network=none x"),
            "Dockerfile:2: RUN: duplicate flag specified: --network");
  EXPECT_EQ(error_of("RUN --network x"), "Dockerfile:2: RUN: missing a value on flag: --network");
}

TEST(Instructions, RunMounts) {
  auto a = second(
      "RUN --mount=type=cache,target=/root/.cache,sharing=locked,id=pip --mount=type=secret,id=aws,required "
      "--mount=type=bind,from=build,source=/out,target=/in,rw --mount=type=tmpfs,target=/t,size=64m "
      "--mount=type=ssh --mount=target=/b pip install");
  const auto& m = a.as<RunInst>()->mounts;
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(m[0].type, MountType::Cache);
  EXPECT_EQ(m[0].target, "/root/.cache");
  EXPECT_EQ(m[0].sharing, CacheSharing::Locked);
  EXPECT_EQ(m[0].id, "pip");
  EXPECT_FALSE(m[0].read_only);
  EXPECT_EQ(m[0].mode, 0755u);
  EXPECT_EQ(m[1].type, MountType::Secret);
  EXPECT_EQ(m[1].target, "/run/secrets/aws");
  EXPECT_TRUE(m[1].required);
  EXPECT_EQ(m[1].mode, 0400u);
  EXPECT_EQ(m[2].type, MountType::Bind);
  EXPECT_EQ(m[2].from, "build");
  EXPECT_EQ(m[2].source, "/out");
  EXPECT_FALSE(m[2].read_only);
  EXPECT_EQ(m[3].type, MountType::Tmpfs);
  EXPECT_EQ(m[3].size_bytes, 64 * 1024 * 1024);
  EXPECT_EQ(m[4].type, MountType::Ssh);
  EXPECT_EQ(m[4].id, "default");
  EXPECT_EQ(m[5].type, MountType::Bind);
  EXPECT_TRUE(m[5].read_only);
}

TEST(Instructions, MountDetails) {
  auto a = second("RUN --mount=type=cache,target=/c,mode=0700,uid=1000,gid=1000,ro x");
  const auto& m = a.as<RunInst>()->mounts.at(0);
  EXPECT_EQ(m.mode, 0700u);
  EXPECT_EQ(m.uid, 1000u);
  EXPECT_EQ(m.gid, 1000u);
  EXPECT_TRUE(m.read_only);
  EXPECT_EQ(m.id, "/c");
  auto b = second("RUN --mount=type=secret,target=/etc/token x");
  EXPECT_EQ(b.as<RunInst>()->mounts.at(0).id, "token");
  auto c = second("RUN --mount=type=secret,id=tok,env=TOKEN x");
  EXPECT_EQ(c.as<RunInst>()->mounts.at(0).env, "TOKEN");
  EXPECT_TRUE(c.as<RunInst>()->mounts.at(0).target.empty());
}

TEST(Instructions, MountErrors) {
  EXPECT_EQ(error_of("RUN --mount=type=volume,target=/x y"),
            "Dockerfile:2: RUN --mount: unsupported mount type \"volume\" (use bind, cache, tmpfs, secret or ssh)");
  EXPECT_EQ(error_of("RUN --mount=type=cache,target=/x,colour=red y"),
            "Dockerfile:2: RUN --mount: unexpected key 'colour' in 'colour=red'");
  EXPECT_EQ(error_of("RUN --mount=type=cache y"),
            "Dockerfile:2: RUN --mount: cache mount needs target= (--mount=type=cache)");
  EXPECT_EQ(error_of("RUN --mount=type=cache,target=/x,mode=9 y"),
            "Dockerfile:2: RUN --mount: invalid value for mode: 9");
  EXPECT_EQ(error_of("RUN --mount=type=cache,target=/x,sharing=all y"),
            "Dockerfile:2: RUN --mount: unsupported sharing value \"all\" (use shared, private or locked)");
}

TEST(Instructions, CmdAndEntrypoint) {
  auto a = second("CMD [\"executable\",\"param1\",\"param2\"]");
  EXPECT_FALSE(a.as<CmdInst>()->cmd.prepend_shell);
  EXPECT_EQ(a.as<CmdInst>()->cmd.args.size(), 3u);
  auto b = second("ENTRYPOINT exec top -b");
  EXPECT_TRUE(b.as<EntrypointInst>()->cmd.prepend_shell);
  EXPECT_EQ(b.as<EntrypointInst>()->cmd.args, std::vector<std::string>{"exec top -b"});
  auto c = second("ENTRYPOINT []");
  EXPECT_TRUE(c.as<EntrypointInst>()->cmd.args.empty());
  EXPECT_FALSE(c.as<EntrypointInst>()->cmd.prepend_shell);
  EXPECT_EQ(error_of("CMD --x=1 y"), "Dockerfile:2: CMD: unknown flag: --x");
}

TEST(Instructions, LabelAndEnv) {
  auto a = second("LABEL \"com.example.vendor\"=\"ACME Incorporated\" version=1.0 description=\"a \\\nb\"");
  const auto& l = a.as<LabelInst>()->labels;
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].key, "\"com.example.vendor\"");
  EXPECT_EQ(l[0].value, "\"ACME Incorporated\"");
  EXPECT_EQ(l[1], (KeyValue{"version", "1.0"}));
  auto e = second("ENV MY_NAME=\"John Doe\" MY_DOG=Rex\\ The\\ Dog MY_CAT=fluffy");
  const auto& v = e.as<EnvInst>()->vars;
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[1].key, "MY_DOG");
  EXPECT_EQ(v[1].value, "Rex\\ The\\ Dog");
  auto legacy = second("ENV MY_VAR my-value");
  EXPECT_EQ(legacy.as<EnvInst>()->vars.at(0), (KeyValue{"MY_VAR", "my-value"}));
  EXPECT_EQ(error_of("ENV =x"), "Dockerfile:2: ENV names can not be blank");
  EXPECT_EQ(error_of("LABEL"), "Dockerfile:2: LABEL requires at least one argument");
}

TEST(Instructions, MaintainerExposeUserWorkdirStopsignal) {
  EXPECT_EQ(second("MAINTAINER Jane <j@x>").as<MaintainerInst>()->name, "Jane <j@x>");
  EXPECT_EQ(second("EXPOSE 80/udp 80/tcp").as<ExposeInst>()->ports, (std::vector<std::string>{"80/tcp", "80/udp"}));
  EXPECT_EQ(second("USER patrick:staff").as<UserInst>()->user, "patrick:staff");
  EXPECT_EQ(second("WORKDIR /path/to/workdir").as<WorkdirInst>()->path, "/path/to/workdir");
  EXPECT_EQ(second("STOPSIGNAL SIGKILL").as<StopSignalInst>()->signal, "SIGKILL");
  EXPECT_EQ(error_of("USER"), "Dockerfile:2: USER requires exactly one argument");
  EXPECT_EQ(error_of("WORKDIR"), "Dockerfile:2: WORKDIR requires exactly one argument");
  EXPECT_EQ(error_of("EXPOSE"), "Dockerfile:2: EXPOSE requires at least one argument");
}

TEST(Instructions, Copy) {
  auto a = second("COPY --from=build --chown=55:mygroup --chmod=644 --link --parents --exclude=*.txt --exclude=*.md a b /dst/");
  const CopyInst* c = a.as<CopyInst>();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->from, "build");
  EXPECT_EQ(c->chown, "55:mygroup");
  EXPECT_EQ(c->chmod, "644");
  EXPECT_TRUE(c->link);
  EXPECT_TRUE(c->parents);
  EXPECT_EQ(c->excludes, (std::vector<std::string>{"*.txt", "*.md"}));
  EXPECT_EQ(c->sources, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c->dest, "/dst/");
  EXPECT_EQ(error_of("COPY a"),
            "Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be "
            "determined");
  EXPECT_EQ(error_of("COPY --chmod a b"), "Dockerfile:2: COPY: missing a value on flag: --chmod");
  EXPECT_EQ(error_of("COPY --link=maybe a b"),
            "Dockerfile:2: COPY: expecting boolean value for flag --link, not: maybe");
  EXPECT_EQ(error_of("COPY --checksum=sha256:x a b"), "Dockerfile:2: COPY: unknown flag: --checksum");
  EXPECT_EQ(second("COPY --link=false a b").as<CopyInst>()->link, false);
}

TEST(Instructions, CopyHeredocSources) {
  auto f = parse("FROM a\nCOPY <<one <<-two /dest/\nfirst\none\n\tsecond\n\ttwo\n", "Dockerfile");
  auto ins = to_instruction(f.nodes[1], "Dockerfile");
  const CopyInst* c = ins.as<CopyInst>();
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->sources.empty());
  ASSERT_EQ(c->inline_sources.size(), 2u);
  EXPECT_EQ(c->inline_sources[0].name, "one");
  EXPECT_EQ(c->inline_sources[0].content, "first\n");
  EXPECT_EQ(c->inline_sources[1].name, "two");
  EXPECT_EQ(c->inline_sources[1].content, "second\n");
  EXPECT_EQ(c->dest, "/dest/");
}

TEST(Instructions, Add) {
  auto a = second("ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d --chown=1 https://x/f.tar /");
  const AddInst* ad = a.as<AddInst>();
  EXPECT_EQ(ad->checksum, "sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d");
  EXPECT_EQ(ad->chown, "1");
  EXPECT_EQ(ad->sources, std::vector<std::string>{"https://x/f.tar"});
  auto g = second("ADD --keep-git-dir=true --link git@git.example.com:foo/bar.git /bar");
  EXPECT_TRUE(g.as<AddInst>()->keep_git_dir);
  EXPECT_TRUE(g.as<AddInst>()->link);
  EXPECT_EQ(error_of("ADD --from=x a b"), "Dockerfile:2: ADD: unknown flag: --from");
}

TEST(Instructions, Volume) {
  EXPECT_EQ(second("VOLUME [\"/data\"]").as<VolumeInst>()->volumes, std::vector<std::string>{"/data"});
  EXPECT_EQ(second("VOLUME /var/log /var/db").as<VolumeInst>()->volumes,
            (std::vector<std::string>{"/var/log", "/var/db"}));
  EXPECT_EQ(error_of("VOLUME [\"\"]"), "Dockerfile:2: VOLUME specified can not be an empty string");
}

TEST(Instructions, Arg) {
  auto a = second("ARG user1=someuser buildno=1 plain empty=");
  const auto& args = a.as<ArgInst>()->args;
  ASSERT_EQ(args.size(), 4u);
  EXPECT_EQ(args[0], (ArgDecl{"user1", "someuser"}));
  EXPECT_EQ(args[2], (ArgDecl{"plain", std::nullopt}));
  EXPECT_EQ(args[3], (ArgDecl{"empty", ""}));
  EXPECT_EQ(error_of("ARG =x"), "Dockerfile:2: ARG names can not be blank");
  EXPECT_EQ(error_of("ARG"), "Dockerfile:2: ARG requires at least one argument");
}

TEST(Instructions, Onbuild) {
  auto a = second("ONBUILD RUN /usr/local/bin/python-build --dir /app/src");
  const OnbuildInst* o = a.as<OnbuildInst>();
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->expression, "RUN /usr/local/bin/python-build --dir /app/src");
  ASSERT_NE(o->inner, nullptr);
  ASSERT_NE(o->inner->as<RunInst>(), nullptr);
  EXPECT_EQ(o->inner->as<RunInst>()->cmd.args[0], "/usr/local/bin/python-build --dir /app/src");
  EXPECT_EQ(error_of("ONBUILD ONBUILD RUN x"), "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  EXPECT_EQ(error_of("ONBUILD FROM x"), "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger");
  EXPECT_EQ(error_of("onbuild maintainer x"), "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger");
  EXPECT_EQ(error_of("ONBUILD FOO x"), "Dockerfile:2: unknown instruction: FOO");
}

TEST(Instructions, Healthcheck) {
  auto a = second("HEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --start-interval=500ms --retries=4 CMD curl -f http://localhost/ || exit 1");
  const HealthcheckInst* h = a.as<HealthcheckInst>();
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->test, (std::vector<std::string>{"CMD-SHELL", "curl -f http://localhost/ || exit 1"}));
  EXPECT_EQ(h->interval_ns, 300'000'000'000LL);
  EXPECT_EQ(h->timeout_ns, 3'000'000'000LL);
  EXPECT_EQ(h->start_period_ns, 90'000'000'000LL);
  EXPECT_EQ(h->start_interval_ns, 500'000'000LL);
  EXPECT_EQ(h->retries, 4);
  auto b = second("HEALTHCHECK CMD [\"/bin/check\", \"-q\"]");
  EXPECT_EQ(b.as<HealthcheckInst>()->test, (std::vector<std::string>{"CMD", "/bin/check", "-q"}));
  EXPECT_EQ(b.as<HealthcheckInst>()->interval_ns, 0);
  EXPECT_EQ(second("healthcheck none").as<HealthcheckInst>()->test, std::vector<std::string>{"NONE"});
  EXPECT_EQ(error_of("HEALTHCHECK NONE x"), "Dockerfile:2: HEALTHCHECK NONE takes no arguments");
  EXPECT_EQ(error_of("HEALTHCHECK CMD"), "Dockerfile:2: Missing command after HEALTHCHECK CMD");
  EXPECT_EQ(error_of("HEALTHCHECK --interval=10 CMD x"),
            "Dockerfile:2: HEALTHCHECK: invalid duration for --interval: \"10\" (use e.g. 30s, 1m30s)");
  EXPECT_EQ(error_of("HEALTHCHECK --timeout=10us CMD x"),
            "Dockerfile:2: HEALTHCHECK: --timeout cannot be less than 1ms (got 10us)");
  EXPECT_EQ(error_of("HEALTHCHECK --retries=-1 CMD x"),
            "Dockerfile:2: HEALTHCHECK: --retries cannot be negative (-1)");
  EXPECT_EQ(second("HEALTHCHECK --interval=0s CMD x").as<HealthcheckInst>()->interval_ns, 0);
}

TEST(Instructions, Shell) {
  auto a = second("SHELL [\"powershell\", \"-command\"]");
  EXPECT_EQ(a.as<ShellInst>()->shell, (std::vector<std::string>{"powershell", "-command"}));
  EXPECT_EQ(error_of("SHELL /bin/bash -c"),
            "Dockerfile:2: SHELL requires the arguments to be in JSON form, e.g. SHELL [\"/bin/bash\", \"-c\"]");
  EXPECT_EQ(error_of("SHELL []"), "Dockerfile:2: SHELL requires at least one argument");
}

TEST(Instructions, RunHeredocChompedContent) {
  auto f = parse("FROM a\nRUN <<-EOF\n\techo a\n\t\techo b\n\tEOF\n", "Dockerfile");
  auto ins = to_instruction(f.nodes[1], "Dockerfile");
  ASSERT_EQ(ins.as<RunInst>()->heredocs.size(), 1u);
  EXPECT_EQ(ins.as<RunInst>()->heredocs[0].content, "echo a\necho b\n");
  EXPECT_EQ(ins.start_line, 2);
  EXPECT_EQ(ins.end_line, 5);
}

TEST(Instructions, ErrorLineIsTheInstructionsFirstLine) {
  auto f = parse("FROM a\nRUN echo \\\n  x\nCOPY \\\n  onlyone\n", "Dockerfile");
  EXPECT_NO_THROW(to_instruction(f.nodes[1], "Dockerfile"));
  try {
    to_instruction(f.nodes[2], "Dockerfile");
    FAIL();
  } catch (const kiln::UsageError& e) {
    EXPECT_EQ(std::string(e.what()).substr(0, 13), "Dockerfile:4:");
  }
}

TEST(Instructions, MountValidationPerType) {
  EXPECT_EQ(error_of("RUN --mount=type=bind,target=/x,required y"),
            "Dockerfile:2: RUN --mount: unexpected key 'required' for mount type 'bind'");
  EXPECT_EQ(error_of("RUN --mount=type=cache,target=/x,size=1m y"),
            "Dockerfile:2: RUN --mount: unexpected key 'size' for mount type 'cache'");
  EXPECT_EQ(error_of("RUN --mount=type=bind,target=/x,mode=0644 y"),
            "Dockerfile:2: RUN --mount: mode not allowed for \"bind\" type mounts");
  EXPECT_EQ(error_of("RUN --mount=type=tmpfs,target=/x,uid=1 y"),
            "Dockerfile:2: RUN --mount: uid not allowed for \"tmpfs\" type mounts");
  EXPECT_EQ(error_of("RUN --mount=type=bind,target=/x,sharing=locked y"),
            "Dockerfile:2: RUN --mount: invalid cache sharing set for bind mount");
  EXPECT_EQ(error_of("RUN --mount=type=secret,id=a,from=b y"),
            "Dockerfile:2: RUN --mount: secret mount should not have a from");
  EXPECT_EQ(error_of("RUN --mount=type=secret,id=a,source=b y"),
            "Dockerfile:2: RUN --mount: both source and id can't be set");
  EXPECT_EQ(error_of("RUN --mount=type=secret y"),
            "Dockerfile:2: RUN --mount: invalid secret mount. one of source, target required (--mount=type=secret)");
  EXPECT_EQ(error_of("RUN --mount=type=bind,target=/x,from=$STAGE y"),
            "Dockerfile:2: RUN --mount: 'from' doesn't support variable expansion, define alias stage instead");
  EXPECT_EQ(error_of("RUN --mount=type=bind,target=/x,bogus y"),
            "Dockerfile:2: RUN --mount: invalid field 'bogus' must be a key=value pair");
}

TEST(Instructions, MountWithVariablesIsDeferred) {
  auto a = second("RUN --mount=type=cache,target=$DIR,from=base x");
  const auto& m = a.as<RunInst>()->mounts.at(0);
  EXPECT_TRUE(m.deferred);
  EXPECT_EQ(m.from, "base");
  EXPECT_EQ(m.raw, "type=cache,target=$DIR,from=base");
}

TEST(Instructions, MountCsvQuoting) {
  // Quotes in a flag word are removed by the flag splitter (as BuildKit
  // does), so the CSV quotes must be escaped to reach the mount parser.
  auto a = second("RUN --mount=type=bind,\\\"source=a,b\\\",target=/x y");
  EXPECT_EQ(a.as<RunInst>()->mounts.at(0).source, "a,b");
}

TEST(Instructions, CopyHeredocBodiesFoundByName) {
  auto f = parse("FROM a\nCOPY <<X <<Y /dest\nY\nX\nX\nY\n", "Dockerfile");
  auto ins = to_instruction(f.nodes[1], "Dockerfile");
  const auto& in = ins.as<CopyInst>()->inline_sources;
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0].name, "X");
  EXPECT_EQ(in[0].content, "Y\n");
  EXPECT_EQ(in[1].content, "X\n");
  auto g = parse("FROM a\nCOPY <<file.txt foo.txt /dest\nhello\nfile.txt\n", "Dockerfile");
  auto c = to_instruction(g.nodes[1], "Dockerfile");
  EXPECT_EQ(c.as<CopyInst>()->sources, std::vector<std::string>{"foo.txt"});
  EXPECT_EQ(c.as<CopyInst>()->inline_sources.at(0).name, "file.txt");
}

TEST(Instructions, HeredocAsDestinationIsAnError) {
  EXPECT_EQ(error_of("COPY a <<EOF\nx\nEOF"), "Dockerfile:2: COPY cannot accept a heredoc as a destination");
}

TEST(Instructions, OnbuildWithHeredoc) {
  auto f = parse("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\nCMD x\n", "Dockerfile");
  ASSERT_EQ(f.nodes.size(), 3u);
  auto ins = to_instruction(f.nodes[1], "Dockerfile");
  const OnbuildInst* o = ins.as<OnbuildInst>();
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->expression, "RUN <<EOF\necho hi\nEOF");
  ASSERT_EQ(o->inner->as<RunInst>()->heredocs.size(), 1u);
  EXPECT_EQ(o->inner->as<RunInst>()->heredocs[0].content, "echo hi\n");
  EXPECT_EQ(ins.end_line, 4);
}

TEST(Instructions, HealthcheckNoneIgnoresFlagsLikeBuildKit) {
  EXPECT_EQ(second("HEALTHCHECK --interval=1s NONE").as<HealthcheckInst>()->test, std::vector<std::string>{"NONE"});
  EXPECT_EQ(error_of("HEALTHCHECK run x"), "Dockerfile:2: Unknown type \"RUN\" in HEALTHCHECK (try CMD)");
}

TEST(Instructions, ExposeSortedAsWritten) {
  EXPECT_EQ(second("EXPOSE 8080 443 80").as<ExposeInst>()->ports, (std::vector<std::string>{"443", "80", "8080"}));
}
