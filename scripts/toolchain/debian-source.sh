# Sourced by every toolchain build script (build-deps.sh, build-libgit2.sh,
# build-accel.sh): downloading, unpacking and building Debian bookworm source
# packages into $PREFIX. The caller sets SRC (downloads), BUILD (scratch
# trees), PREFIX, LOG, ARCH_ROOT (arch.sh: where the architecture's prefixes
# live) and a say() function. build-deps.sh has already added the deb-src
# entry and fetched the source index.

fetch_source() { # PKG: the newest version whose files the mirror serves
  local p=$1 v
  ls "$SRC/${p}"_*.dsc >/dev/null 2>&1 && return 0
  say "downloading source package $p"
  (cd "$SRC" && apt-get source --download-only -qq -o APT::Sandbox::User=root "$p") && return 0
  # A mirror without the security pool lists versions it cannot serve: try
  # the others, newest first.
  for v in $(apt-cache showsrc "$p" | sed -n 's/^Version: //p' | sort -rV | uniq); do
    say "retrying $p=$v"
    (cd "$SRC" && apt-get source --download-only -qq -o APT::Sandbox::User=root "$p=$v") && return 0
  done
  say "could not download the source package $p"
  return 1
}

unpack() { # PKG -> prints the unpacked, Debian-patched source dir
  local dsc dir
  dsc=$(ls "$SRC/$1"_*.dsc | sort -V | tail -1)
  dir="$BUILD/$1-src"
  rm -rf "$dir"
  dpkg-source --no-check -x "$dsc" "$dir" >/dev/null 2>&1
  echo "$dir"
}

version_of() { basename "$(ls "$SRC/$1"_*.dsc | sort -V | tail -1)" .dsc; }

step() { # NAME FUNCTION: run it with its output in a log, record its time
  local name=$1 fn=$2 t0
  say "$name: building"
  t0=$(date +%s)
  # A background job, not "fn || ...": errexit is ignored inside a function
  # called in an || context, and every command of a step must stop it.
  ( "$fn" ) >"$BUILD/$name.log" 2>&1 &
  if ! wait $!; then say "$name: FAILED, see $BUILD/$name.log"; tail -40 "$BUILD/$name.log" >&2; exit 1; fi
  printf '%-12s %4ss  %s\n' "$name" $(( $(date +%s) - t0 )) "$(cat "$BUILD/$name.version")" | tee -a "$LOG" >&2
}

# prefix_ready NAME HASH: when $ARCH_ROOT/NAME-HASH is complete, point the
# NAME symlink at it, print it and succeed; the caller then exits.
prefix_ready() {
  local name=$1 hash=$2 dir="$ARCH_ROOT/$1-$2"
  [ -f "$dir/.complete" ] || return 1
  [ "$(readlink "$ARCH_ROOT/$name" 2>/dev/null)" = "$name-$hash" ] || ln -sfn "$name-$hash" "$ARCH_ROOT/$name"
  say "up to date: $dir"
  echo "$dir"
}

# prefix_finish NAME HASH T0: mark $PREFIX complete, link it as NAME, print it.
prefix_finish() {
  local name=$1 hash=$2 t0=$3
  find "$PREFIX/lib" \( -name '*.so*' -o -name '*.la' \) -delete
  printf '%-12s %4ss\n' "total" $(( $(date +%s) - t0 )) | tee -a "$LOG" >&2
  touch "$PREFIX/.complete"
  ln -sfn "$name-$hash" "$ARCH_ROOT/$name"
  [ "${KILN_KEEP_BUILD:-0}" = 1 ] || rm -rf "$BUILD"
  say "done: $PREFIX (symlinked from $ARCH_ROOT/$name)"
  echo "$PREFIX"
}
