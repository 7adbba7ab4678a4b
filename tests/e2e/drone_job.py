"""The Drone job of the seeds, shared by its runc and Docker tests: one
container and one shell script, four builds in a row with --cleanup (the
second, "bad", fails on purpose), then checks that the builds left nothing
behind and that the container's own things are still there.

Each test adds what it checks beyond that (`before` runs first, `checks`
after the builds); `leftovers` are the paths no build may leave.
"""

BUILDS = r"""
build() {
  name="$1"
  /kaniko/executor --cache=true --cache-dir=/cache --cleanup --skip-tls-verify \
    --skip-tls-verify-pull --skip-tls-verify-registry \
    --dockerfile=/drone/src/$name/Dockerfile --context=dir:///drone/src/$name \
    --destination=$REGISTRY/drone/$name:1
  echo "BUILD $name rc=$?"
}
build one
build bad
build two
build three
"""


def script(leftovers, before="", checks=""):
    """The job's /busybox/sh script: prints BUILD <name> rc=N per build, LEFT
    <path> per leftover, KANIKO OK and CACHE OK, and SCRIPT DONE last."""
    left = f"""for f in {' '.join(leftovers)}; do
  [ -e "$f" ] && echo "LEFT $f"
done
"""
    return (before + BUILDS + left + checks +
            '/kaniko/executor version >/dev/null && echo "KANIKO OK"\n'
            '[ -d /cache ] && echo "CACHE OK"\n'
            'echo "SCRIPT DONE"\n')
