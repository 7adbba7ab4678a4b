#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz/ with clang++ and runs each one
# for SECONDS (default 40: eight targets fit in about six minutes), starting from the reviewed seed corpus in
# tests/fuzz/corpus/<target>/. New inputs the fuzzer finds go to a temporary
# copy, so the repository's corpus stays small; crash inputs are kept in
# build/fuzz/artifacts/<target>/. Prints executions and corpus size per
# target; exits non-zero when a target crashed or failed to build.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 10 shell_lexer
set -u

SECONDS_PER_TARGET="${1:-40}"
shift $(( $# > 0 ? 1 : 0 ))
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/build/fuzz"
CXX="${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++)}"
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(shell_lexer dockerignore dockerfile_parser image_json credentials www_authenticate layer_extract gzip_stream)

if [ -z "$CXX" ]; then
  echo "fuzz.sh: clang++ not found (libFuzzer needs clang)" >&2
  exit 2
fi
case "$SECONDS_PER_TARGET" in
  ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$SECONDS_PER_TARGET'" >&2; exit 2 ;;
esac

SAN="address,undefined"
CXXFLAGS=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all -I"$ROOT/lib")
mkdir -p "$OUT/obj"

# The library code under test: the sources of the parsers the targets reach
# as objects in an archive, so each target links only the objects it needs
# (and may define a symbol itself to keep the archive's one out, see
# credentials_fuzz.cpp). A source that does not compile (work in progress
# elsewhere) only breaks the targets needing it.
SOURCES=("$ROOT"/lib/base/*.cpp "$ROOT"/lib/dockerfile/*.cpp "$ROOT"/lib/image/*.cpp "$ROOT"/lib/layer/*.cpp "$ROOT"/lib/fs/write_pool.cpp
         "$ROOT"/lib/digest/*.cpp "$ROOT"/lib/log/*.cpp
         "$ROOT"/lib/registry/{credentials,env_credentials,credential_helper,base64,reference,www_authenticate}.cpp)
# What those objects need from the host (Debian's -dev packages).
LIBS=(-larchive -lzstd -lz -lisal -lnettle -lmbedcrypto -lpthread)
# An object is rebuilt when it is missing or older than its source or any
# header it included (the compiler's dependency file lists them), so an edit
# elsewhere in lib/ (other work going on) does not rebuild everything.
stale() {
  local obj="$1" src="$2" dep
  [ -f "$obj" ] && [ -f "$obj.d" ] && [ ! "$src" -nt "$obj" ] || return 0
  for dep in $(sed -e 's/\\$//' -e 's/^[^:]*://' "$obj.d"); do
    [ "$dep" -nt "$obj" ] && return 0
  done
  return 1
}
objs=()
for src in "${SOURCES[@]}"; do
  obj="$OUT/obj/$(basename "$(dirname "$src")")_$(basename "${src%.cpp}").o"
  if stale "$obj" "$src"; then
    if ! "$CXX" "${CXXFLAGS[@]}" -fsanitize=fuzzer-no-link,$SAN -MMD -MF "$obj.d" -c "$src" -o "$obj" 2>"$obj.log"; then
      echo "fuzz.sh: warning: $(basename "$src") does not compile, see $obj.log" >&2
      rm -f "$obj"
      continue
    fi
  fi
  objs+=("$obj")
done
rm -f "$OUT/libkiln_fuzz.a"
ar rcs "$OUT/libkiln_fuzz.a" "${objs[@]}"

status=0
summary=()
for t in "${TARGETS[@]}"; do
  src="$ROOT/tests/fuzz/${t}_fuzz.cpp"
  bin="$OUT/${t}_fuzz"
  if [ ! -f "$src" ]; then
    echo "fuzz.sh: no target $src" >&2
    status=1
    continue
  fi
  if ! "$CXX" "${CXXFLAGS[@]}" -fsanitize=fuzzer,$SAN "$src" "$OUT/libkiln_fuzz.a" "${LIBS[@]}" -o "$bin" 2>"$OUT/${t}_build.log"; then
    echo "fuzz.sh: $t failed to build, see $OUT/${t}_build.log" >&2
    summary+=("$t: BUILD FAILED")
    status=1
    continue
  fi

  work="$(mktemp -d)"
  cp -r "$ROOT/tests/fuzz/corpus/$t/." "$work/" 2>/dev/null || true
  artifacts="$OUT/artifacts/$t"
  mkdir -p "$artifacts"
  log="$OUT/${t}_run.log"
  echo "== $t: fuzzing for ${SECONDS_PER_TARGET}s"
  "$bin" "$work" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
  rc=$?
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
  corpus="$(find "$work" -type f | wc -l)"
  rm -rf "$work"
  if [ $rc -ne 0 ]; then
    summary+=("$t: CRASH (exit $rc), executions ${execs:-?}, corpus $corpus; log $log, inputs in $artifacts/")
    status=1
  else
    summary+=("$t: ok, executions ${execs:-?}, corpus $corpus")
  fi
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
