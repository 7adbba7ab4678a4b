#!/usr/bin/env bash
# sandbox.sh: run kiln's executor the way a container runtime would, without
# a container runtime: a fresh root holding only /kaniko, entered with chroot
# inside private mount and PID namespaces (so every mount made here vanishes
# with the sandbox), a clean environment, and the host network (a registry on
# 127.0.0.1 is reachable).
#
# Usage:
#   scripts/sandbox.sh [OPTIONS] -- EXECUTOR_ARGS...       run /kaniko/executor ARGS
#   scripts/sandbox.sh [OPTIONS] --cmd -- COMMAND ARGS...  run COMMAND inside the sandbox
#
# Options:
#   --executor PATH       copy PATH to /kaniko/executor (must be statically linked)
#   --warmer PATH         copy PATH to /kaniko/warmer
#   --context DIR         bind-mount DIR at /workspace (read-write, like a volume)
#   --docker-config FILE  copy FILE to /kaniko/.docker/config.json
#   --ca FILE             append FILE to /kaniko/ssl/certs/ca-certificates.crt
#                         (which starts as the host's CA bundle); repeatable
#   --bind HOST:SANDBOX   bind-mount a host file or directory; repeatable
#   --tmpfs SANDBOX:SIZE  mount a tmpfs of SIZE (tmpfs size=, e.g. 2m) at the
#                         sandbox path, after the binds (a small disk to fill); repeatable
#   --env K=V             extra environment variable; repeatable
#   --root DIR            use DIR as the sandbox root (created if missing, kept
#                         afterwards): several runs can share one root, like
#                         sequential builds in one CI container
#   --keep                keep the temporary root and print its path on stderr
#   --no-container-env    no container markers: neither container=kiln-sandbox
#                         nor /.dockerenv, and the host's PID and cgroup
#                         namespaces (the sandbox then looks like a plain host
#                         to container detection; mounts stay private)
#   --busybox             install /bin/busybox (busybox-static) as /busybox/ with
#                         its applets and add /busybox to PATH, like kaniko's
#                         debug image
#   --docker-caps         run the command with Docker's default capability set
#                         only (setpriv: no CAP_SYS_ADMIN, so no mount or
#                         network namespace), as `docker run` without flags
#   --started-file FILE   write the wall-clock time (seconds since the epoch)
#                         to FILE just before the command is exec'd: a
#                         benchmark can then leave the sandbox's own set-up
#                         (some 50 short processes, about 0.4 s) out of the
#                         command's time
#   --cmd                 run the command after -- instead of /kaniko/executor
#   --exec                run /kaniko/executor with the arguments after -- (default)
#   -h, --help
#
# Inside: /proc is a new procfs (own PID and cgroup namespaces: the command is
# PID 1 and /proc/self/cgroup shows "/"), /dev is a tmpfs holding bind mounts
# of the usual device nodes (like Docker; a buggy cleanup cannot delete the
# host's /dev), /sys is a read-only sysfs, /etc/resolv.conf, /etc/hosts and /etc/hostname are bind
# mounts of per-run copies of the host's files, /.dockerenv an empty read-only
# bind mount (Docker's marker; kaniko's container detection does not accept
# container=kiln-sandbox, whose value names no runtime it knows, but does
# accept /.dockerenv). The environment is exactly:
#   container=kiln-sandbox HOME=/root
#   PATH=/usr/local/bin:/kaniko:/usr/sbin:/usr/bin:/sbin:/bin[:/busybox]
#   SSL_CERT_DIR=/kaniko/ssl/certs DOCKER_CONFIG=/kaniko/.docker/  + --env ones.
# The exit code of the command is this script's exit code; stdout and stderr
# pass through. Must run as root.
set -euo pipefail

SELF="$(readlink -f "${BASH_SOURCE[0]}")"
HOST_CA_BUNDLE="${KILN_SANDBOX_HOST_CA:-/etc/ssl/certs/ca-certificates.crt}"
SANDBOX_PATH="/usr/local/bin:/kaniko:/usr/sbin:/usr/bin:/sbin:/bin"

die() { echo "sandbox.sh: $*" >&2; exit 125; }

# ---------------------------------------------------------------------------
# Inner half: PID 1 of the new PID namespace, in the private mount namespace;
# it sets up the mounts, then execs env -i ... chroot ROOT COMMAND.
# ---------------------------------------------------------------------------
if [[ "${1:-}" == "__inner" ]]; then
    shift
    # Only ever inside the fresh namespaces: never mount anything on the host.
    # (a host-like sandbox keeps the host's PID namespace, see below: then the
    # mount namespace must differ from the one the outer half ran in)
    if [[ -n "${KILN_SB_OUTER_MNTNS:-}" ]]; then
        [[ "$(readlink /proc/self/ns/mnt)" != "$KILN_SB_OUTER_MNTNS" ]] || die "__inner is internal (no new mount namespace)"
    else
        [[ $$ == 1 ]] || die "__inner is internal (it must run as PID 1 of a new PID namespace)"
    fi
    trap 'echo "sandbox.sh: setting up the sandbox failed (line $LINENO)" >&2; exit 125' ERR
    root="$KILN_SB_ROOT"
    mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
    # /dev: a tmpfs with the nodes a container gets, each a bind of the host node.
    mount -t tmpfs -o nosuid,mode=0755,size=65536k tmpfs "$root/dev"
    for n in null zero full random urandom tty; do
        if [[ -e /dev/$n ]]; then
            : > "$root/dev/$n"
            mount --bind "/dev/$n" "$root/dev/$n"
        fi
    done
    mkdir -p "$root/dev/pts" "$root/dev/shm" "$root/dev/mqueue"
    mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$root/dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts" 2>/dev/null || true
    ln -s pts/ptmx "$root/dev/ptmx"
    ln -s /proc/self/fd "$root/dev/fd"
    ln -s /proc/self/fd/0 "$root/dev/stdin"
    ln -s /proc/self/fd/1 "$root/dev/stdout"
    ln -s /proc/self/fd/2 "$root/dev/stderr"
    if ! mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys" 2>/dev/null; then
        mount --rbind /sys "$root/sys"
        mount -o remount,bind,ro "$root/sys" || true
    fi
    for f in resolv.conf hosts hostname; do
        if [[ -e "$KILN_SB_RUNDIR/$f" ]]; then
            [[ -e "$root/etc/$f" ]] || : > "$root/etc/$f"
            mount --bind "$KILN_SB_RUNDIR/$f" "$root/etc/$f"
        fi
    done
    if [[ "$KILN_SB_CONTAINER_ENV" == 1 ]]; then
        # Docker's marker file, as a read-only bind mount so that neither a
        # snapshot nor --cleanup treats it as part of the filesystem.
        [[ -e "$root/.dockerenv" ]] || : > "$root/.dockerenv"
        mount --bind "$KILN_SB_RUNDIR/dockerenv" "$root/.dockerenv"
        mount -o remount,bind,ro "$root/.dockerenv"
    fi
    if [[ -n "${KILN_SB_CONTEXT:-}" ]]; then
        mount --bind "$KILN_SB_CONTEXT" "$root/workspace"
    fi
    while IFS= read -r spec; do
        [[ -n "$spec" ]] || continue
        src="${spec%%:*}"; dst="${spec#*:}"
        mount --bind "$src" "$root/$dst"
    done <<< "${KILN_SB_BINDS:-}"
    while IFS= read -r spec; do
        [[ -n "$spec" ]] || continue
        mount -t tmpfs -o "nosuid,nodev,size=${spec##*:}" tmpfs "$root/${spec%:*}"
    done <<< "${KILN_SB_TMPFS:-}"

    envs=(HOME=/root "PATH=$KILN_SB_PATH" SSL_CERT_DIR=/kaniko/ssl/certs DOCKER_CONFIG=/kaniko/.docker/)
    if [[ "$KILN_SB_CONTAINER_ENV" == 1 ]]; then
        envs=(container=kiln-sandbox "${envs[@]}")
    fi
    while IFS= read -r e; do
        [[ -n "$e" ]] && envs+=("$e")
    done <<< "${KILN_SB_ENVS:-}"
    # Last thing before the exec: bash's own clock, no process of its own.
    [[ -z "${KILN_SB_STARTED_FILE:-}" ]] || printf '%s\n' "$EPOCHREALTIME" > "$KILN_SB_STARTED_FILE"
    if [[ "${KILN_SB_DOCKER_CAPS:-0}" == 1 ]]; then
        # Docker's default set (moby's oci/caps/defaults.go), bounding and so
        # effective for root after exec.
        exec env -i "${envs[@]}" "$KILN_SB_SETPRIV" --inh-caps=-all --bounding-set=-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap \
            "$KILN_SB_CHROOT" "$root" "$@"
    fi
    exec env -i "${envs[@]}" "$KILN_SB_CHROOT" "$root" "$@"
fi

# ---------------------------------------------------------------------------
# Outer half: argument parsing, root preparation, cleanup.
# ---------------------------------------------------------------------------
usage() { sed -n '2,/^set -euo/p' "$SELF" | sed '$d' | sed 's/^# \{0,1\}//'; }

executor="" warmer="" context="" docker_config="" root="" keep=0 started_file=""
container_env=1 busybox=0 mode="exec" docker_caps=0
cas=() binds=() envs=() tmpfses=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --executor) executor="${2:?--executor needs a path}"; shift 2 ;;
        --warmer) warmer="${2:?--warmer needs a path}"; shift 2 ;;
        --context) context="${2:?--context needs a directory}"; shift 2 ;;
        --docker-config) docker_config="${2:?--docker-config needs a file}"; shift 2 ;;
        --ca) cas+=("${2:?--ca needs a file}"); shift 2 ;;
        --bind) binds+=("${2:?--bind needs HOST:SANDBOX}"); shift 2 ;;
        --tmpfs) tmpfses+=("${2:?--tmpfs needs SANDBOX:SIZE}"); shift 2 ;;
        --env) envs+=("${2:?--env needs K=V}"); shift 2 ;;
        --root) root="${2:?--root needs a directory}"; shift 2 ;;
        --keep) keep=1; shift ;;
        --started-file) started_file="${2:?--started-file needs a path}"; shift 2 ;;
        --no-container-env) container_env=0; shift ;;
        --busybox) busybox=1; shift ;;
        --docker-caps) docker_caps=1; shift ;;
        --cmd) mode="cmd"; shift ;;
        --exec) mode="exec"; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; break ;;
        *) die "unknown option '$1' (options go before --; see --help)" ;;
    esac
done

[[ $EUID == 0 ]] || die "must run as root (unshare --mount and chroot need it)"
for tool in unshare chroot mount env; do
    command -v "$tool" >/dev/null || die "'$tool' not found (install util-linux / coreutils)"
done
if [[ $mode == cmd && $# -eq 0 ]]; then die "--cmd needs a command after --"; fi

checkfile() { [[ -f "$1" ]] || die "$2 '$1' is not a file"; }
[[ -z "$executor" ]] || checkfile "$executor" --executor
[[ -z "$warmer" ]] || checkfile "$warmer" --warmer
[[ -z "$docker_config" ]] || checkfile "$docker_config" --docker-config
[[ -z "$context" || -d "$context" ]] || die "--context '$context' is not a directory"
for c in "${cas[@]}"; do checkfile "$c" --ca; done
for e in "${envs[@]}"; do [[ "$e" == *=* && "$e" != *$'\n'* ]] || die "--env '$e' is not K=V"; done
for b in "${binds[@]}"; do
    [[ "$b" == *:/* ]] || die "--bind '$b' is not HOSTPATH:/SANDBOXPATH"
    [[ -e "${b%%:*}" ]] || die "--bind source '${b%%:*}' does not exist"
done

own_root=0
if [[ -z "$root" ]]; then
    root="$(mktemp -d "${TMPDIR:-/tmp}/kiln-sandbox.XXXXXX")"
    own_root=1
else
    mkdir -p "$root"
    root="$(readlink -f "$root")"
fi
[[ "$root" != / ]] || die "refusing to use / as the sandbox root"
rundir="$(mktemp -d "${TMPDIR:-/tmp}/kiln-sandbox-run.XXXXXX")"

child=""
# shellcheck disable=SC2317  # invoked by the traps
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n "$child" ]] && kill -0 "$child" 2>/dev/null; then
        kill -KILL "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    rm -rf "$rundir"
    if [[ $own_root == 1 && $keep == 0 ]]; then
        # The mounts lived in the sandbox's private mount namespace and died
        # with it; refuse to delete anything still mounted in ours.
        if grep -q " ${root}[/ ]" /proc/self/mountinfo; then
            echo "sandbox.sh: something is still mounted under $root; not removing it" >&2
        else
            rm -rf --one-file-system "$root"
        fi
    elif [[ $own_root == 1 ]]; then
        echo "sandbox.sh: kept sandbox root $root" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- populate the root ------------------------------------------------------
mkdir -p "$root/kaniko/ssl/certs" "$root/kaniko/.docker" "$root/proc" "$root/dev" \
         "$root/sys" "$root/etc" "$root/workspace" "$root/root"
# (few processes: each costs some 7 ms, and the tests start hundreds of sandboxes)
chmod 0755 "$root" "$root/kaniko" "$root/etc" "$root/workspace"
chmod 0700 "$root/root"
install_bin() { install -m 0755 "$1" "$root/kaniko/$2.new" && mv -f "$root/kaniko/$2.new" "$root/kaniko/$2"; }
[[ -z "$executor" ]] || install_bin "$executor" executor
[[ -z "$warmer" ]] || install_bin "$warmer" warmer
bundle="$root/kaniko/ssl/certs/ca-certificates.crt"
if [[ ! -e "$bundle" ]]; then
    if [[ -f "$HOST_CA_BUNDLE" ]]; then install -m 0644 "$HOST_CA_BUNDLE" "$bundle"; else : > "$bundle"; fi
fi
for c in "${cas[@]}"; do
    # GitLab style: append; make sure the previous last line is terminated.
    [[ ! -s "$bundle" || -z "$(tail -c1 "$bundle")" ]] || echo >> "$bundle"
    cat "$c" >> "$bundle"
done
[[ -z "$docker_config" ]] || install -m 0644 "$docker_config" "$root/kaniko/.docker/config.json"
path="$SANDBOX_PATH"
if [[ $busybox == 1 ]]; then
    [[ -x /bin/busybox ]] || die "--busybox needs /bin/busybox (apt-get install busybox-static)"
    mkdir -p "$root/busybox"
    cp -f /bin/busybox "$root/busybox/busybox"
    for applet in $(/bin/busybox --list); do
        [[ -e "$root/busybox/$applet" || "$applet" == busybox ]] || ln -s busybox "$root/busybox/$applet"
    done
    path="$path:/busybox"
fi
if [[ $container_env == 1 ]]; then
    : > "$rundir/dockerenv"
elif [[ -f "$root/.dockerenv" && ! -s "$root/.dockerenv" ]]; then
    rm -f "$root/.dockerenv"  # an earlier run's mount point, in a shared --root
fi
etc_files=()
for f in resolv.conf hosts hostname; do [[ ! -f "/etc/$f" ]] || etc_files+=("/etc/$f"); done
[[ ${#etc_files[@]} == 0 ]] || install -m 0644 "${etc_files[@]}" "$rundir/"
bindspec=""
for b in "${binds[@]}"; do
    src="$(readlink -f "${b%%:*}")"; dst="${b#*:}"
    dst="/${dst#/}"
    if [[ -d "$src" ]]; then mkdir -p "$root$dst"
    else mkdir -p "$(dirname "$root$dst")"; [[ -e "$root$dst" ]] || : > "$root$dst"; fi
    bindspec+="$src:$dst"$'\n'
done
envspec=""
for e in "${envs[@]}"; do envspec+="$e"$'\n'; done
tmpfsspec=""
for t in "${tmpfses[@]}"; do
    [[ "$t" =~ ^/[^:]*:[0-9]+[kmg%]?$ && "$t" != *..* ]] || die "--tmpfs '$t' is not /SANDBOXPATH:SIZE (e.g. /kaniko/work:2m)"
    mkdir -p "$root${t%:*}"
    tmpfsspec+="$t"$'\n'
done

if [[ $mode == exec ]]; then
    [[ -x "$root/kaniko/executor" ]] || die "no /kaniko/executor in the sandbox root (give --executor PATH)"
    set -- /kaniko/executor "$@"
fi

# --- run ----------------------------------------------------------------------
export KILN_SB_ROOT="$root" KILN_SB_RUNDIR="$rundir" KILN_SB_CONTEXT="${context:+$(readlink -f "$context")}"
export KILN_SB_STARTED_FILE="${started_file:+$(readlink -f "$started_file")}"
export KILN_SB_BINDS="$bindspec" KILN_SB_ENVS="$envspec" KILN_SB_PATH="$path" KILN_SB_TMPFS="$tmpfsspec"
KILN_SB_CHROOT="$(command -v chroot)"
KILN_SB_SETPRIV="$(command -v setpriv || true)"
[[ $docker_caps == 0 || -n "$KILN_SB_SETPRIV" ]] || die "--docker-caps needs setpriv (apt-get install util-linux)"
export KILN_SB_CONTAINER_ENV="$container_env" KILN_SB_CHROOT KILN_SB_SETPRIV KILN_SB_DOCKER_CAPS="$docker_caps"
set +e
if [[ "$container_env" == 1 ]]; then
    unshare --mount --pid --cgroup --fork --kill-child --propagation private \
        /bin/bash "$SELF" __inner "$@" <&0 &
else
    # --no-container-env: look like a plain host to container detection, so
    # keep the host's PID and cgroup namespaces (a new PID namespace is itself
    # a sign of a container); only the mounts stay private.
    KILN_SB_OUTER_MNTNS="$(readlink /proc/self/ns/mnt)" \
        unshare --mount --fork --kill-child --propagation private \
        /bin/bash "$SELF" __inner "$@" <&0 &
fi
# (<&0 above: a non-interactive shell gives background jobs /dev/null as
# stdin; the executor must see ours, for tar://stdin and --password-stdin.)
child=$!
wait "$child"
rc=$?
child=""
set -e
exit "$rc"
