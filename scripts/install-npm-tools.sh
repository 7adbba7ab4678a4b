#!/usr/bin/env bash
# Installs the object-store servers the e2e tests run on loopback (s3rver for
# S3, azurite for Azure Blob Storage) from the npm registry into
# $KILN_CACHE/npm-tools (default /var/cache/kiln/npm-tools), so later runs and
# CI on the same machine reuse them. Idempotent: does nothing when the tree
# for the current scripts/npm-tools/package-lock.json is already there.
# node and npm come from scripts/setup-host.sh.
#
# Versions are pinned, transitive ones too (the lock file; `npm ci` installs
# exactly it): azurite 3.36 and later need node >= 22.
#
# Prints the tools directory on success; binaries are in <dir>/node_modules/.bin.
set -euo pipefail

src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/npm-tools"
dir="${KILN_NPM_TOOLS:-${KILN_CACHE:-/var/cache/kiln}/npm-tools}"
lock_sum="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-16)"
stamp="$dir/.installed-$lock_sum"

if [[ -f "$stamp" && -x "$dir/node_modules/.bin/s3rver" && -x "$dir/node_modules/.bin/azurite-blob" ]]; then
    echo "$dir"
    exit 0
fi

command -v npm >/dev/null || { echo "install-npm-tools.sh: npm is required (run scripts/setup-host.sh)" >&2; exit 1; }
mkdir -p "$dir"
rm -f "$dir"/.installed-*
cp "$src/package.json" "$src/package-lock.json" "$dir/"
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2
[[ -x "$dir/node_modules/.bin/s3rver" && -x "$dir/node_modules/.bin/azurite-blob" ]] ||
    { echo "install-npm-tools.sh: npm finished but s3rver/azurite-blob are missing in $dir" >&2; exit 1; }
touch "$stamp"
echo "$dir"
