#!/usr/bin/env bash
# test-registry.sh: a throw-away docker-registry on 127.0.0.1 for demos and
# manual testing (the pytest fixtures in tests/e2e do the same for tests).
#
#   scripts/test-registry.sh start DIR [--tls] [--auth USER:PASS] [--port N]
#       Creates DIR (must not exist), starts the registry in the background
#       and prints shell assignments: REGISTRY=127.0.0.1:PORT, REGISTRY_CA
#       (with --tls/--auth), REGISTRY_DOCKER_CONFIG (with --auth: a
#       config.json for it). --auth implies --tls.
#   scripts/test-registry.sh stop DIR
#       Stops it and removes DIR.
#
# Needs: docker-registry, curl, python3, openssl (for --tls), htpasswd (apache2-utils, for --auth).
set -euo pipefail

die() { echo "test-registry.sh: $*" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
    local dir="${1:?usage: start DIR [--tls] [--auth USER:PASS] [--port N]}"; shift
    local tls=0 auth="" port=""
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --tls) tls=1; shift ;;
            --auth) auth="${2:?--auth needs USER:PASS}"; tls=1; shift 2 ;;
            --port) port="${2:?--port needs a number}"; shift 2 ;;
            *) die "unknown option $1" ;;
        esac
    done
    [[ ! -e "$dir" ]] || die "$dir already exists"
    command -v docker-registry >/dev/null || die "apt-get install docker-registry"
    mkdir -p "$dir/storage"
    dir="$(readlink -f "$dir")"
    port="${port:-$(free_port)}"
    local host="127.0.0.1:$port"
    {
        echo "version: 0.1"
        echo "log: {level: warn, accesslog: {disabled: true}}"
        echo "storage: {filesystem: {rootdirectory: $dir/storage}, delete: {enabled: true}}"
        echo "http:"
        echo "  addr: $host"
        if [[ $tls == 1 ]]; then
            echo "  tls: {certificate: $dir/server.crt, key: $dir/server.key}"
        fi
        if [[ -n "$auth" ]]; then
            echo "auth: {htpasswd: {realm: kiln-test, path: $dir/htpasswd}}"
        fi
    } > "$dir/config.yml"
    if [[ $tls == 1 ]]; then
        command -v openssl >/dev/null || die "apt-get install openssl"
        openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 7 -subj "/CN=kiln test CA" \
            -keyout "$dir/ca.key" -out "$dir/ca.crt" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=kiln-test-registry" \
            -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
        printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$dir/server.ext"
        openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
            -CAcreateserial -days 7 -sha256 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
    fi
    if [[ -n "$auth" ]]; then
        command -v htpasswd >/dev/null || die "apt-get install apache2-utils"
        htpasswd -Bbn "${auth%%:*}" "${auth#*:}" > "$dir/htpasswd"
        printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$host" "$(printf '%s' "$auth" | base64 -w0)" > "$dir/config.json"
    fi
    setsid docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 < /dev/null &
    echo $! > "$dir/pid"
    local scheme=http curl_ca=()
    if [[ $tls == 1 ]]; then scheme=https; curl_ca=(--cacert "$dir/ca.crt"); fi
    for _ in $(seq 100); do
        if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
            cat "$dir/registry.log" >&2; die "the registry exited"
        fi
        code=$(curl -s -o /dev/null -w '%{http_code}' "${curl_ca[@]}" "$scheme://$host/v2/" || true)
        if [[ "$code" == 200 || "$code" == 401 ]]; then
            echo "REGISTRY=$host"
            [[ $tls == 0 ]] || echo "REGISTRY_CA=$dir/ca.crt"
            [[ -z "$auth" ]] || echo "REGISTRY_DOCKER_CONFIG=$dir/config.json"
            return 0
        fi
        sleep 0.1
    done
    stop "$dir"
    die "the registry did not answer on $host"
}

stop() {
    local dir="${1:?usage: stop DIR}"
    [[ -f "$dir/pid" ]] || die "$dir/pid not found: not a test registry directory"
    local pid; pid="$(cat "$dir/pid")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
