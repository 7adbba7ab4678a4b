# kiln: see README.md. Every target does its own set-up on a fresh Debian 12.
KILN_CACHE ?= /var/cache/kiln
export KILN_CACHE
BUILD      ?= build
STATIC     := $(BUILD)/static
HOST       := $(BUILD)/host
JOBS       ?= 2
REVISION   := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

.PHONY: all setup toolchain static host test unit unit-host e2e demo fuzz images bench clean

all: static

setup:
	scripts/setup-host.sh

toolchain: setup
	scripts/toolchain/install-zig.sh
	scripts/toolchain/build-deps.sh
	scripts/toolchain/build-libgit2.sh
	scripts/toolchain/build-accel.sh

# The shipping build: fully static musl binaries in $(STATIC)/.
static: toolchain
	cmake -S . -B $(STATIC) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/zig-musl.cmake -DKILN_REVISION=$(REVISION) >/dev/null
	ninja -C $(STATIC) -j$(JOBS)
	@file $(STATIC)/executor $(STATIC)/warmer

# A fast glibc build with Debian's -dev packages, for iteration and sanitizers.
host: setup
	cmake -S . -B $(HOST) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKILN_SANITIZE=$(if $(SANITIZE),ON,OFF) >/dev/null
	ninja -C $(HOST) -j$(JOBS)

# Unit tests run on the static build: what ships is what is tested.
unit: static
	cd $(STATIC) && ctest --output-on-failure -j$(JOBS)

unit-host: host
	cd $(HOST) && ctest --output-on-failure -j$(JOBS)

# End-to-end: real registries, the executor in a sandbox, skopeo/umoci checks.
e2e: static
	scripts/install-npm-tools.sh >/dev/null  # s3rver, azurite (cached; the tests also call it)
	KILN_EXECUTOR=$(CURDIR)/$(STATIC)/executor KILN_WARMER=$(CURDIR)/$(STATIC)/warmer \
	  /usr/bin/python3 -m pytest -p no:cacheprovider tests/e2e -q -rfE

# Fuzzing runs before e2e so that pytest's summary is the last line of the log.
test: unit fuzz e2e

demo: static
	scripts/demo.sh $(CURDIR)/$(STATIC)/executor

# The scratch, debug and warmer images, built by kiln itself (image/).
images: static
	scripts/build-images.sh $(CURDIR)/$(STATIC)

# kiln against buildah and BuildKit (Debian's docker.io daemon, started by the
# bench) on the same Dockerfiles (not part of the tests):
# BENCH_ARGS="--runs 3 --scenarios a,b,c,d,e,f --peers buildah,buildkit"; then
# the Debian base's unpack in the bench's and a user's settings (bench/unpack.py,
# UNPACK_BENCH_ARGS="--runs 3"); then fully cached rebuilds (bench/cached.py,
# CACHED_BENCH_ARGS="--runs 3 --scenarios c,a"); then what --cleanup costs on a
# 100,000-file container and on the debug image under Docker (bench/cleanup.py,
# CLEANUP_BENCH_ARGS="--runs 3"); then a two-platform build against one build per
# platform (bench/multi_platform.py, MULTI_BENCH_ARGS="--runs 3").
# BENCH_ARGS="--baseline OLD/executor" runs an older kiln beside the new one, alternating.
bench: static images
	@command -v buildah >/dev/null && command -v debootstrap >/dev/null && [ -x /usr/sbin/dockerd ] && \
	  [ -x /usr/bin/docker ] || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah debootstrap time docker.io; }
	/usr/bin/python3 bench/bench.py $(BENCH_ARGS)
	/usr/bin/python3 bench/unpack.py $(UNPACK_BENCH_ARGS)
	/usr/bin/python3 bench/cached.py $(CACHED_BENCH_ARGS)
	/usr/bin/python3 bench/cleanup.py $(CLEANUP_BENCH_ARGS)
	/usr/bin/python3 bench/multi_platform.py $(MULTI_BENCH_ARGS)

fuzz: setup
	scripts/fuzz.sh $(or $(FUZZ_SECONDS),40)

clean:
	rm -rf $(BUILD)
