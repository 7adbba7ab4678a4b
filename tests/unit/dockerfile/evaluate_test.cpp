#include <gtest/gtest.h>

#include <algorithm>

#include "base/error.h"
#include "dockerfile/evaluate.h"
#include "dockerfile/parser.h"
#include "dockerfile/plan.h"
#include "support/usage_error.h"

using namespace kiln::dockerfile;

namespace {
using Args = std::vector<std::pair<std::string, std::optional<std::string>>>;

std::vector<Step> eval(const std::string& text, Args args = {}, BaseConfig base = {}, int stage = -1) {
  PlanOptions o;
  o.build_args = std::move(args);
  o.target_platform.architecture = "arm64";
  o.target_platform.variant = "v8";
  o.build_platform.architecture = "amd64";
  Plan p = make_plan(parse(text, "Dockerfile"), o);
  return evaluate_stage(p, stage < 0 ? p.target : stage, base);
}

std::string error_of(const std::string& text, Args args = {}, BaseConfig base = {}) {
  return kiln::testing::usage_error_of([&] { eval(text, std::move(args), std::move(base)); });
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool has_key(const std::vector<std::string>& v, const std::string& key) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& kv) { return kv.rfind(key + "=", 0) == 0; });
}
}  // namespace

TEST(Evaluate, EnvSeesOldValuesWithinOneInstruction) {
  BaseConfig base;
  base.env = {"PATH=/usr/bin", "a=0"};
  auto s = eval("FROM x\nENV a=1 b=$a\nENV c=$a\n", {}, base);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].config_env, (std::vector<std::string>{"PATH=/usr/bin", "a=1", "b=0"}));
  EXPECT_EQ(s[0].history, "ENV a=1 b=0");
  EXPECT_EQ(s[1].config_env.back(), "c=1");
}

TEST(Evaluate, DockerReferenceEnvExample) {
  auto s = eval("FROM x\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n");
  EXPECT_EQ(s[2].config_env, (std::vector<std::string>{"abc=bye", "def=hello", "ghi=bye"}));
}

TEST(Evaluate, EnvQuotingAndLegacyForm) {
  auto s = eval("FROM x\nENV MY_NAME=\"John Doe\" MY_DOG=Rex\\ The\\ Dog\nENV legacy hello \"world\"\n");
  EXPECT_EQ(s[0].config_env, (std::vector<std::string>{"MY_NAME=John Doe", "MY_DOG=Rex The Dog"}));
  EXPECT_EQ(s[0].history, "ENV MY_NAME=John Doe MY_DOG=Rex The Dog");
  EXPECT_EQ(s[1].config_env.back(), "legacy=hello world");
}

TEST(Evaluate, EnvExtendsBasePath) {
  BaseConfig base;
  base.env = {"PATH=/usr/local/bin:/usr/bin"};
  auto s = eval("FROM x\nENV PATH=/opt/app/bin:$PATH\n", {}, base);
  EXPECT_EQ(s[0].config_env, std::vector<std::string>{"PATH=/opt/app/bin:/usr/local/bin:/usr/bin"});
}

TEST(Evaluate, ArgDefaultsReferenceEarlierArgsAndBuildArgsOverride) {
  const std::string df = "FROM x\nARG A=one\nARG B=${A}-two C=${missing:-$A}\nRUN echo\n";
  auto s = eval(df);
  EXPECT_TRUE(contains(s[2].run_env, "A=one"));
  EXPECT_TRUE(contains(s[2].run_env, "B=one-two"));
  EXPECT_TRUE(contains(s[2].run_env, "C=one"));
  auto t = eval(df, {{"A", "uno"}, {"B", "given"}});
  EXPECT_TRUE(contains(t[2].run_env, "A=uno"));
  EXPECT_TRUE(contains(t[2].run_env, "B=given"));
  EXPECT_TRUE(contains(t[2].run_env, "C=uno"));
}

TEST(Evaluate, ArgValuesReachRunButNotTheConfig) {
  auto s = eval("FROM x\nARG VERSION=1.0\nENV KEEP=$VERSION\nRUN make\n");
  EXPECT_EQ(s[2].config_env, std::vector<std::string>{"KEEP=1.0"});
  EXPECT_TRUE(contains(s[2].run_env, "VERSION=1.0"));
  EXPECT_TRUE(contains(s[2].run_env, "KEEP=1.0"));
  EXPECT_FALSE(has_key(s[2].config_env, "VERSION"));
}

TEST(Evaluate, ArgWithoutValueIsDeclaredButUnset) {
  auto s = eval("FROM x\nARG NOVAL\nENV v=${NOVAL-unset}\nRUN x\n");
  EXPECT_EQ(s[1].config_env, std::vector<std::string>{"v=unset"});
  EXPECT_FALSE(has_key(s[2].run_env, "NOVAL"));
  EXPECT_EQ(s[2].history, "RUN |1 NOVAL= /bin/sh -c x # buildkit");
}

TEST(Evaluate, DockerReferenceArgEnvExample) {
  // ENV after ARG of the same name wins for later instructions.
  auto s = eval("FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\nRUN echo $CONT_IMG_VER\n",
                {{"CONT_IMG_VER", "v2.0.1"}});
  EXPECT_EQ(s[1].config_env, std::vector<std::string>{"CONT_IMG_VER=v2.0.1"});
  auto t = eval("FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\n");
  EXPECT_EQ(t[1].config_env, std::vector<std::string>{"CONT_IMG_VER=v1.0.0"});
  auto u = eval("FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nRUN echo\n", {{"CONT_IMG_VER", "v2.0.1"}});
  EXPECT_TRUE(contains(u[2].run_env, "CONT_IMG_VER=v1.0.0"));
  EXPECT_EQ(u[2].history, "RUN |1 CONT_IMG_VER=v1.0.0 /bin/sh -c echo # buildkit");
}

TEST(Evaluate, GlobalArgsNeedRedeclarationInsideAStage) {
  const std::string df = "ARG VERSION=latest\nFROM busybox:$VERSION\nENV before=${VERSION:-none}\nARG VERSION\nENV after=$VERSION\n";
  auto s = eval(df);
  EXPECT_EQ(s[0].config_env, std::vector<std::string>{"before=none"});
  EXPECT_EQ(s[2].config_env.back(), "after=latest");
  auto t = eval(df, {{"VERSION", "1.36"}});
  EXPECT_EQ(t[2].config_env.back(), "after=1.36");
}

TEST(Evaluate, PlatformArgsNeedDeclarationInStage) {
  auto s = eval("FROM x\nENV early=${TARGETARCH:-none}\nARG TARGETARCH TARGETPLATFORM BUILDARCH\nENV arch=$TARGETARCH plat=$TARGETPLATFORM build=$BUILDARCH\n");
  EXPECT_EQ(s[0].config_env, std::vector<std::string>{"early=none"});
  EXPECT_TRUE(contains(s[2].config_env, "arch=arm64"));
  EXPECT_TRUE(contains(s[2].config_env, "plat=linux/arm64/v8"));
  EXPECT_TRUE(contains(s[2].config_env, "build=amd64"));
}

TEST(Evaluate, ProxyArgsReachRunButNeverHistory) {
  Args a = {{"HTTP_PROXY", "http://user:secret@proxy:3128"}, {"no_proxy", "localhost"}};
  auto s = eval("FROM x\nRUN apt-get update\n", a);
  EXPECT_TRUE(contains(s[0].run_env, "HTTP_PROXY=http://user:secret@proxy:3128"));
  EXPECT_TRUE(contains(s[0].run_env, "no_proxy=localhost"));
  EXPECT_EQ(s[0].history, "RUN /bin/sh -c apt-get update # buildkit");
  auto t = eval("FROM x\nARG HTTP_PROXY\nARG other=1\nRUN apt-get update\n", a);
  EXPECT_EQ(t[2].history, "RUN |1 other=1 /bin/sh -c apt-get update # buildkit");
  EXPECT_EQ(t[0].history, "ARG HTTP_PROXY");
  for (const auto& st : t) EXPECT_EQ(st.history->find("secret"), std::string::npos);
  EXPECT_FALSE(has_key(t[2].config_env, "HTTP_PROXY"));
}

TEST(Evaluate, ArgHistoryRecordsResolvedValues) {
  // As current BuildKit does (and the Dockerfile reference warns about).
  auto s = eval("FROM x\nARG user=someuser token unset\n", {{"token", "t0k"}, {"user", "other"}});
  EXPECT_EQ(s[0].history, "ARG user=other token=t0k unset");
  auto t = eval("ARG G=global\nFROM x\nARG G\nARG D=${G}-d\n");
  EXPECT_EQ(t[0].history, "ARG G=global");
  EXPECT_EQ(t[1].history, "ARG D=global-d");
}

TEST(Evaluate, ProxyArgHistoryShowsOnlyTheDockerfileDefault) {
  auto s = eval("FROM x\nARG HTTPS_PROXY=http://default:3128 ALL_PROXY\n",
                {{"HTTPS_PROXY", "http://u:pw@p:1"}, {"ALL_PROXY", "socks5://u:pw@p:2"}});
  EXPECT_EQ(s[0].history, "ARG HTTPS_PROXY=http://default:3128 ALL_PROXY");
  EXPECT_TRUE(contains(s[0].run_env, "HTTPS_PROXY=http://u:pw@p:1"));
}

TEST(Evaluate, RunHistoryListsDeclaredArgs) {
  auto s = eval("FROM x\nARG a=1\nARG b=2\nRUN echo hi\nRUN [\"echo\", \"exec\"]\n", {{"b", "9"}});
  EXPECT_EQ(s[2].history, "RUN |2 a=1 b=9 /bin/sh -c echo hi # buildkit");
  EXPECT_EQ(s[2].argv, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(s[3].argv, (std::vector<std::string>{"echo", "exec"}));
  EXPECT_EQ(s[3].history, "RUN |2 a=1 b=9 echo exec # buildkit");
  EXPECT_FALSE(s[2].empty_layer);
  EXPECT_TRUE(s[0].empty_layer);
}

TEST(Evaluate, RunBodyIsNotExpanded) {
  auto s = eval("FROM x\nENV a=1\nRUN echo $a \"$a\"\n");
  EXPECT_EQ(s[1].argv.back(), "echo $a \"$a\"");
}

TEST(Evaluate, ShellInstructionChangesLaterCommands) {
  BaseConfig base;
  base.shell = {"/bin/ash", "-eo", "pipefail", "-c"};
  auto s = eval("FROM x\nRUN a\nSHELL [\"/bin/bash\", \"-c\"]\nRUN b\nCMD c\nENTRYPOINT [\"d\"]\n", {}, base);
  EXPECT_EQ(s[0].argv, (std::vector<std::string>{"/bin/ash", "-eo", "pipefail", "-c", "a"}));
  EXPECT_EQ(s[1].history, "SHELL [/bin/bash -c]");
  EXPECT_EQ(s[2].argv, (std::vector<std::string>{"/bin/bash", "-c", "b"}));
  EXPECT_EQ(s[3].argv, (std::vector<std::string>{"/bin/bash", "-c", "c"}));
  EXPECT_EQ(s[3].history, "CMD [\"/bin/bash\" \"-c\" \"c\"]");
  EXPECT_EQ(s[4].history, "ENTRYPOINT [\"d\"]");
  EXPECT_EQ(s[4].shell, (std::vector<std::string>{"/bin/bash", "-c"}));
}

TEST(Evaluate, CmdHistoryQuotesLikeGo) {
  auto s = eval("FROM x\nCMD [\"echo\", \"a\\\"b\", \"tab\\there\", \"caf\\u00e9\"]\n");
  EXPECT_EQ(s[0].history, "CMD [\"echo\" \"a\\\"b\" \"tab\\there\" \"caf\xC3\xA9\"]");
}

TEST(Evaluate, CopyAndAddExpandAndRecordHistory) {
  auto s = eval("FROM x AS b\nFROM y\nARG SRC=b UID=1000 DIR=/app\nCOPY --from=$SRC --chown=$UID:$UID --chmod=755 /out/${DIR} $DIR/\nADD --chown=${UID} file.tar.gz ${DIR}\n");
  const CopyInst* c = s[1].instruction.as<CopyInst>();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->from, "b");
  EXPECT_EQ(c->chown, "1000:1000");
  EXPECT_EQ(c->chmod, "755");
  EXPECT_EQ(c->sources, std::vector<std::string>{"/out//app"});
  EXPECT_EQ(c->dest, "/app/");
  EXPECT_EQ(s[1].history, "COPY /out//app /app/ # buildkit");
  EXPECT_EQ(s[2].history, "ADD file.tar.gz /app # buildkit");
  EXPECT_EQ(s[2].instruction.as<AddInst>()->chown, "1000");
}

TEST(Evaluate, ShellFormCopySplitsBeforeExpansion) {
  // As in BuildKit, the shell form splits on white space first, so a quoted
  // name with a space is two broken words; the JSON form is the way to go.
  EXPECT_NE(error_of("FROM x\nCOPY \"quoted file\" /dst\n").find("Dockerfile:2: "), std::string::npos);
  auto s = eval("FROM x\nCOPY [\"quoted file\", \"/dst\"]\n");
  EXPECT_EQ(s[0].instruction.as<CopyInst>()->sources, std::vector<std::string>{"quoted file"});
}

TEST(Evaluate, CopyHeredocExpandsUnlessQuoted) {
  auto s = eval("FROM x\nENV name=world\nCOPY <<EOF /hello\nhello \"$name\" 'x'\nEOF\nCOPY <<'EOF' /raw\n$name\nEOF\n");
  const CopyInst* c = s[1].instruction.as<CopyInst>();
  ASSERT_EQ(c->inline_sources.size(), 1u);
  EXPECT_EQ(c->inline_sources[0].content, "hello \"world\" 'x'\n");
  EXPECT_EQ(s[1].history, "COPY <<EOF /hello # buildkit");
  EXPECT_EQ(s[2].instruction.as<CopyInst>()->inline_sources[0].content, "$name\n");
}

TEST(Evaluate, RunHeredocAsScript) {
  auto s = eval("FROM x\nRUN <<EOF\napt-get update\napt-get install -y vim\nEOF\n");
  EXPECT_EQ(s[0].argv, (std::vector<std::string>{"/bin/sh", "-c", "apt-get update\napt-get install -y vim\n"}));
  EXPECT_FALSE(s[0].script.has_value());
}

TEST(Evaluate, RunHeredocWithShebangIsAScriptFile) {
  auto s = eval("FROM x\nRUN <<-eot\n\t#!/usr/bin/env python\n\tprint(\"hi\")\n\teot\n");
  ASSERT_TRUE(s[0].script.has_value());
  EXPECT_EQ(s[0].script->content, "#!/usr/bin/env python\nprint(\"hi\")\n");
  EXPECT_EQ(s[0].argv, std::vector<std::string>{"/dev/pipes/eot"});
}

TEST(Evaluate, RunHeredocsFoldedIntoTheCommand) {
  auto s = eval("FROM x\nRUN cat <<A > /a && cat <<B > /b\nfirst\nA\nsecond\nB\n");
  EXPECT_EQ(s[0].argv,
            (std::vector<std::string>{"/bin/sh", "-c", "cat <<A > /a && cat <<B > /b\nfirst\nA\nsecond\nB"}));
}

TEST(Evaluate, WorkdirJoinsAndExpands) {
  BaseConfig base;
  base.working_dir = "/base";
  auto s = eval("FROM x\nWORKDIR a\nWORKDIR b/../c\nENV DIRPATH=/path\nWORKDIR $DIRPATH/$DIRNAME\nWORKDIR /abs//x/\n", {}, base);
  EXPECT_EQ(s[0].working_dir, "/base/a");
  EXPECT_EQ(s[0].history, "WORKDIR /base/a");
  EXPECT_EQ(s[1].working_dir, "/base/a/c");
  // BuildKit (docker 20.10) keeps an absolute WORKDIR as expanded: "/path/",
  // "/abs//x/"; a relative one is joined and cleaned.
  EXPECT_EQ(s[3].working_dir, "/path/");
  EXPECT_EQ(s[3].history, "WORKDIR /path/");
  EXPECT_EQ(s[4].working_dir, "/abs//x/");
  auto t = eval("FROM x\nWORKDIR rel\n");
  EXPECT_EQ(t[0].working_dir, "/rel");
  auto u = eval("FROM x\nWORKDIR /p/\nWORKDIR rel/../x/\n");
  EXPECT_EQ(u[1].working_dir, "/p/x");
}

TEST(Evaluate, ArgNameIsExpanded) {
  // BuildKit expands an ARG's name too: ENV src=file3 then ARG ${src}=default declares file3.
  auto s = eval("FROM x\nENV src=file3\nARG ${src}=default\nRUN echo $file3\n");
  EXPECT_TRUE(contains(s[2].run_env, "file3=default"));
  EXPECT_EQ(s[1].history, "ARG file3=default");
  EXPECT_EQ(s[2].history, "RUN |1 file3=default /bin/sh -c echo $file3 # buildkit");
}

TEST(Evaluate, StageFromStageSeesTheParentsArgs) {
  // FROM parent: the parent's ARG values are in the state env (not the config
  // Env), but only ARGs declared in this stage go into RUN's history prefix.
  BaseConfig base;
  base.env = {"E=1"};
  base.state_env = {"E=1", "FOO=123"};
  auto s = eval("FROM x\nRUN echo $FOO\nARG FOO\nRUN echo $FOO\n", {}, base);
  EXPECT_TRUE(contains(s[0].run_env, "FOO=123"));
  EXPECT_FALSE(has_key(s[0].config_env, "FOO"));
  EXPECT_EQ(s[0].history, "RUN /bin/sh -c echo $FOO # buildkit");
  EXPECT_EQ(s[2].history, "RUN |1 FOO=123 /bin/sh -c echo $FOO # buildkit");
  EXPECT_TRUE(contains(s[2].state_env, "FOO=123"));
}

TEST(Evaluate, ExposeNormalisesAndRecordsGoMap) {
  auto s = eval("FROM x\nENV P=8080\nEXPOSE 80 $P/UDP 443/tcp 7000-7002\n");
  // BuildKit sorts the words as written before expanding them.
  EXPECT_EQ(s[1].exposed_ports,
            (std::vector<std::string>{"8080/udp", "443/tcp", "7000/tcp", "7001/tcp", "7002/tcp", "80/tcp"}));
  EXPECT_EQ(s[1].history, "EXPOSE map[443/tcp:{} 7000/tcp:{} 7001/tcp:{} 7002/tcp:{} 80/tcp:{} 8080/udp:{}]");
  EXPECT_EQ(error_of("FROM x\nEXPOSE 99999\n"), "Dockerfile:2: invalid port in EXPOSE 99999: 99999 is above 65535");
  EXPECT_EQ(error_of("FROM x\nEXPOSE 80/xyz\n"), "Dockerfile:2: invalid protocol in EXPOSE 80/xyz: use tcp, udp or sctp");
}

TEST(Evaluate, LabelUserVolumeStopsignalExpand) {
  auto s = eval("FROM x\nARG V=1.2 U=app SIG=SIGINT\nLABEL \"com.example.version\"=\"$V\" desc='no $V'\nUSER ${U}:${U}\nVOLUME /data/$V [x\nSTOPSIGNAL $SIG\nMAINTAINER $U\n");
  const auto& l = s[1].instruction.as<LabelInst>()->labels;
  EXPECT_EQ(l[0], (KeyValue{"com.example.version", "1.2"}));
  EXPECT_EQ(l[1], (KeyValue{"desc", "no $V"}));
  EXPECT_EQ(s[1].history, "LABEL com.example.version=1.2 desc=no $V");
  EXPECT_EQ(s[2].history, "USER app:app");
  EXPECT_EQ(s[3].history, "VOLUME [/data/1.2 [x]");
  EXPECT_EQ(s[4].history, "STOPSIGNAL SIGINT");
  EXPECT_EQ(s[5].history, "MAINTAINER $U");
  EXPECT_EQ(error_of("FROM x\nSTOPSIGNAL SIGNOPE\n"),
            "Dockerfile:2: STOPSIGNAL: invalid signal \"SIGNOPE\" (use a name like SIGTERM or a number)");
}

TEST(Evaluate, HealthcheckHistoryLooksLikeGo) {
  auto s = eval("FROM x\nHEALTHCHECK --interval=5m --timeout=3s --retries=3 CMD curl -f http://localhost/ || exit 1\nHEALTHCHECK NONE\n");
  EXPECT_EQ(s[0].history,
            "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://localhost/ || exit 1\"] \"5m0s\" \"3s\" \"0s\" \"0s\" '\\x03'}");
  EXPECT_EQ(s[1].history, "HEALTHCHECK &{[\"NONE\"] \"0s\" \"0s\" \"0s\" \"0s\" '\\x00'}");
}

TEST(Evaluate, OnbuildIsStoredVerbatimWithoutHistory) {
  auto s = eval("FROM x\nENV a=1\nONBUILD COPY $a /x\n");
  const OnbuildInst* o = s[1].instruction.as<OnbuildInst>();
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->expression, "COPY $a /x");
  EXPECT_FALSE(s[1].history.has_value());
}

TEST(Evaluate, BaseOnbuildTriggersRunFirst) {
  BaseConfig base;
  base.env = {"SRC=/src"};
  base.onbuild = {"ADD . $SRC", "RUN make -C $SRC"};
  auto s = eval("FROM x\n\nRUN after\n", {}, base);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_TRUE(s[0].from_base_onbuild);
  EXPECT_EQ(s[0].line, 1);
  EXPECT_EQ(s[0].instruction.as<AddInst>()->dest, "/src");
  EXPECT_EQ(s[1].history, "RUN /bin/sh -c make -C $SRC # buildkit");
  EXPECT_FALSE(s[2].from_base_onbuild);
  EXPECT_EQ(s[2].line, 3);
  BaseConfig bad;
  bad.onbuild = {"FROM busybox"};
  EXPECT_EQ(error_of("FROM x\n", {}, bad),
            "Dockerfile:1: base image ONBUILD trigger \"FROM busybox\": FROM isn't allowed as an ONBUILD trigger");
  bad.onbuild = {"FORM busybox"};
  EXPECT_EQ(error_of("FROM x\n", {}, bad),
            "Dockerfile:1: base image ONBUILD trigger \"FORM busybox\": unknown instruction: FORM (did you mean FROM?)");
  bad.onbuild = {"RUN a\nRUN b"};
  EXPECT_EQ(error_of("FROM x\n", {}, bad),
            "Dockerfile:1: base image ONBUILD trigger \"RUN a\nRUN b\": onbuild trigger should be a single expression");
}

TEST(Evaluate, BaseOnbuildTriggerWithHeredoc) {
  BaseConfig base;
  base.onbuild = {"RUN <<EOF\necho from trigger\nEOF"};
  auto s = eval("FROM x\n", {}, base);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].argv, (std::vector<std::string>{"/bin/sh", "-c", "echo from trigger\n"}));
}

TEST(Evaluate, MountValuesExpand) {
  auto s = eval("FROM x\nARG CACHE=/root/.cache\nRUN --mount=type=cache,target=$CACHE,id=${CACHE}-id pip install\n");
  const auto& m = s[1].instruction.as<RunInst>()->mounts.at(0);
  EXPECT_EQ(m.target, "/root/.cache");
  EXPECT_EQ(m.id, "/root/.cache-id");
}

TEST(Evaluate, ExpansionErrorsNameTheLine) {
  std::string e = error_of("FROM x\nENV a=1\nENV b=${a:?a must be set} c=${unset:?need unset}\n");
  EXPECT_EQ(e.rfind("Dockerfile:3: ", 0), 0u) << e;
}

TEST(Evaluate, BacktickEscapeInExpansion) {
  auto s = eval("# escape=`\nFROM x\nENV a=one`$b c=c:\\path\n");
  EXPECT_EQ(s[0].config_env, (std::vector<std::string>{"a=one$b", "c=c:\\path"}));
}

TEST(Evaluate, ConfigEnvPerStepIsASnapshot) {
  auto s = eval("FROM x\nENV a=1\nRUN x\nENV a=2\nRUN y\n");
  EXPECT_EQ(s[1].config_env, std::vector<std::string>{"a=1"});
  EXPECT_EQ(s[3].config_env, std::vector<std::string>{"a=2"});
  EXPECT_TRUE(contains(s[1].run_env, "a=1"));
  EXPECT_TRUE(contains(s[3].run_env, "a=2"));
}

TEST(Evaluate, EvaluatesAnEarlierStageByIndex) {
  auto s = eval("FROM a AS one\nENV x=1\nFROM b\nENV y=2\n", {}, {}, 0);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].config_env, std::vector<std::string>{"x=1"});
}

TEST(Evaluate, SpacedSoleHeredocRunsAsScript) {
  auto s = eval("FROM x\nRUN << EOF\necho a\nEOF\n");
  EXPECT_EQ(s[0].argv, (std::vector<std::string>{"/bin/sh", "-c", "echo a\n"}));
  auto t = eval("FROM x\nRUN <<COMPLEX python3\nprint('hi')\nCOMPLEX\n");
  EXPECT_EQ(t[0].argv, (std::vector<std::string>{"/bin/sh", "-c", "<<COMPLEX python3\nprint('hi')\nCOMPLEX"}));
}

TEST(Evaluate, CopyHeredocKeepsQuotes) {
  auto s = eval("FROM x\nCOPY <<EOF /quotes\n\"foo\"\n'bar'\nEOF\n");
  EXPECT_EQ(s[0].instruction.as<CopyInst>()->inline_sources.at(0).content, "\"foo\"\n'bar'\n");
}

TEST(Evaluate, DeferredMountsParseWithStageVariables) {
  auto s = eval("FROM x\nARG MODE=0700\nRUN --mount=type=cache,target=/c,mode=$MODE,uid=${UID:-5} x\n");
  const auto& m = s[1].instruction.as<RunInst>()->mounts.at(0);
  EXPECT_FALSE(m.deferred);
  EXPECT_EQ(m.mode, 0700u);
  EXPECT_EQ(m.uid, 5u);
  EXPECT_EQ(m.type, MountType::Cache);
  EXPECT_EQ(error_of("FROM x\nARG MODE=9\nRUN --mount=type=cache,target=/c,mode=$MODE x\n"),
            "Dockerfile:3: invalid value for mode: 9");
}

TEST(Evaluate, EntrypointClearsInheritedCmdUnlessStageSetOne) {
  auto s = eval("FROM x\nENTRYPOINT [\"a\"]\nCMD [\"b\"]\nENTRYPOINT [\"c\"]\n");
  EXPECT_TRUE(s[0].clears_cmd);
  EXPECT_FALSE(s[1].clears_cmd);
  EXPECT_FALSE(s[2].clears_cmd);
}

TEST(Evaluate, WorkdirLayerFlag) {
  auto s = eval("FROM x\nWORKDIR /\nWORKDIR /app\n");
  EXPECT_TRUE(s[0].empty_layer);
  EXPECT_FALSE(s[1].empty_layer);
}

TEST(Evaluate, StopSignalForms) {
  EXPECT_EQ(eval("FROM x\nSTOPSIGNAL 9\n")[0].history, "STOPSIGNAL 9");
  EXPECT_EQ(eval("FROM x\nSTOPSIGNAL term\n")[0].history, "STOPSIGNAL term");
  EXPECT_EQ(eval("FROM x\nSTOPSIGNAL SIGRTMIN+3\n")[0].history, "STOPSIGNAL SIGRTMIN+3");
  EXPECT_NE(error_of("FROM x\nSTOPSIGNAL 0\n"), "no error");
  EXPECT_NE(error_of("FROM x\nSTOPSIGNAL 256\n"), "no error");
}
