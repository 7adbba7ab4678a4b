#!/usr/bin/env bash
# install-busybox.sh DEST: install Debian's static BusyBox (package
# busybox-static, /bin/busybox) as DEST/busybox with one relative symlink per
# applet (DEST/sh -> busybox, ...), the way kaniko's debug image has /busybox.
#
# `busybox --install` needs /proc/self/exe and absolute paths, so the links are
# made here from `busybox --list`. Existing files in DEST are replaced; the
# result depends only on the busybox binary (sorted applets, fixed modes), so
# an image built from it with --reproducible is reproducible.
#
# Environment: BUSYBOX=/path/to/busybox overrides /bin/busybox.
set -euo pipefail

die() { echo "install-busybox.sh: $*" >&2; exit 1; }
[[ $# -eq 1 ]] || die "usage: install-busybox.sh DEST"
dest="$1"
bb="${BUSYBOX:-/bin/busybox}"

[[ -x "$bb" ]] || die "$bb not found: apt-get install busybox-static"
if command -v file >/dev/null; then
    desc="$(file -L "$bb")"
    [[ "$desc" == *"statically linked"* || "$desc" == *"static-pie linked"* ]] \
        || die "$bb is not statically linked ($desc): apt-get install busybox-static"
fi

mkdir -p "$dest"
chmod 0755 "$dest"
install -m 0755 "$bb" "$dest/busybox.new"
mv -f "$dest/busybox.new" "$dest/busybox"
n=0
while IFS= read -r applet; do
    [[ -n "$applet" && "$applet" != busybox ]] || continue
    [[ "$applet" != */* && "$applet" != . && "$applet" != .. ]] || die "odd applet name '$applet'"
    ln -sfn busybox "$dest/$applet"
    n=$((n + 1))
done < <("$dest/busybox" --list | LC_ALL=C sort -u)
[[ $n -gt 100 ]] || die "only $n applets listed by $dest/busybox --list"
# the shell the debug image's users call by name
[[ -L "$dest/sh" ]] || die "no sh applet in $bb"
echo "install-busybox.sh: $dest/busybox and $n applets" >&2
