# kiln: see README.md. Every target does its own set-up on a fresh Debian 12.
KILN_CACHE ?= /var/cache/kiln
export KILN_CACHE
BUILD      ?= build
# The static build's architecture (scripts/toolchain/arch.sh): amd64 (native),
# arm64, s390x, ppc64le, riscv64, or ppc64 (big-endian POWER, tests only). A
# foreign one builds into $(BUILD)/static-<arch> and runs its tests under qemu-user.
ARCH       ?= amd64
# What `make release` builds and unit-tests; README "Architectures".
RELEASE_ARCHES := amd64 arm64 s390x ppc64le riscv64
# Foreign architectures whose unit tests `make test` runs under qemu-user:
# arm64, and s390x for big-endian (where byte-order bugs in tar, gzip, zstd
# and SHA-256 code show). ppc64le's and riscv64's pass with `make unit
# ARCH=...` or `make release`, left out of CI for time.
TEST_ARCHES    := arm64 s390x
# The unit tests of the code where byte order matters (SHA-256, tar, gzip,
# zstd, manifests and configs) alone, for a quick big-endian check:
# `make unit-big-endian` (s390x), or BIG_ENDIAN_ARCH=ppc64 for POWER's.
BIG_ENDIAN_ARCH  ?= s390x
BIG_ENDIAN_TESTS := unit_base unit_digest unit_layer unit_layer_integration unit_image
# POWER links with kiln's patched libunwind (scripts/toolchain/zig-lib-patched.sh):
# `make test` runs the unwinder's test (in unit_base) for ppc64le.
UNWINDER_ARCH    := ppc64le
UNWINDER_TESTS   := unit_base
# The platforms of kiln's own images (make images: one index per image).
IMAGE_ARCHES   ?= amd64 arm64 s390x ppc64le riscv64
export KILN_IMAGE_ARCHES := $(IMAGE_ARCHES)
FOREIGN_ARCHES := $(filter-out amd64,$(IMAGE_ARCHES))
STATIC     := $(BUILD)/static$(if $(filter-out amd64,$(ARCH)),-$(ARCH))
HOST       := $(BUILD)/host
JOBS       ?= 2
REVISION   := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

.PHONY: all setup toolchain configure static static-all foreign-bins host test unit unit-host unit-arches unit-some unit-big-endian unit-unwinder e2e demo fuzz images bench release clean

all: static

setup:
	scripts/setup-host.sh

toolchain: setup
	KILN_ARCH=$(ARCH) scripts/toolchain/install-zig.sh
	KILN_ARCH=$(ARCH) scripts/toolchain/build-deps.sh
	KILN_ARCH=$(ARCH) scripts/toolchain/build-libgit2.sh
	KILN_ARCH=$(ARCH) scripts/toolchain/build-accel.sh

# The shipping build: fully static musl binaries in $(STATIC)/ (ARCH=arm64 ...).
static: configure
	ninja -C $(STATIC) -j$(JOBS)
	@file $(STATIC)/executor $(STATIC)/warmer

configure: toolchain
	cmake -S . -B $(STATIC) -G Ninja -DCMAKE_BUILD_TYPE=Release -DKILN_ARCH=$(ARCH) \
	  -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/zig-musl.cmake -DKILN_REVISION=$(REVISION) >/dev/null

# The executor and warmer alone (no unit tests) of every foreign architecture
# in IMAGE_ARCHES: what the images and the e2e arm64 smoke need.
foreign-bins:
	set -e; for a in $(FOREIGN_ARCHES); do \
	  $(MAKE) configure ARCH=$$a; \
	  ninja -C $(BUILD)/static-$$a -j$(JOBS) executor warmer; \
	  file $(BUILD)/static-$$a/executor $(BUILD)/static-$$a/warmer; done

# Every released architecture's static binaries.
static-all:
	set -e; for a in $(RELEASE_ARCHES); do $(MAKE) static ARCH=$$a; done

# A fast glibc build with Debian's -dev packages, for iteration and sanitizers.
host: setup
	cmake -S . -B $(HOST) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKILN_SANITIZE=$(if $(SANITIZE),ON,OFF) >/dev/null
	ninja -C $(HOST) -j$(JOBS)

# Unit tests run on the static build: what ships is what is tested (a
# foreign ARCH's under qemu-user, CMake's cross-compiling emulator).
unit: static
	cd $(STATIC) && ctest --output-on-failure -j$(JOBS)

unit-arches:
	set -e; for a in $(TEST_ARCHES); do $(MAKE) unit ARCH=$$a; done

# Some unit-test binaries of one architecture: ARCH=... TESTS="unit_base ...".
unit-some: configure
	ninja -C $(STATIC) -j$(JOBS) $(TESTS)
	cd $(STATIC) && ctest --output-on-failure -j$(JOBS) -R '^($(subst $(eval) ,|,$(strip $(TESTS))))$$'

unit-big-endian:
	$(MAKE) unit-some ARCH=$(BIG_ENDIAN_ARCH) TESTS="$(BIG_ENDIAN_TESTS)"

unit-unwinder:
	$(MAKE) unit-some ARCH=$(UNWINDER_ARCH) TESTS="$(UNWINDER_TESTS)"

# Builds and unit-tests every released architecture.
release:
	set -e; for a in $(RELEASE_ARCHES); do $(MAKE) unit ARCH=$$a; done

unit-host: host
	cd $(HOST) && ctest --output-on-failure -j$(JOBS)

# End-to-end: real registries, the executor in a sandbox, skopeo/umoci checks;
# tests/e2e/test_foreign_arch.py builds with the arm64 executor under qemu.
e2e: static foreign-bins
	scripts/install-npm-tools.sh >/dev/null  # s3rver, azurite (cached; the tests also call it)
	KILN_EXECUTOR=$(CURDIR)/$(STATIC)/executor KILN_WARMER=$(CURDIR)/$(STATIC)/warmer \
	  KILN_FOREIGN_EXECUTOR=$(CURDIR)/$(BUILD)/static-arm64/executor \
	  /usr/bin/python3 -m pytest -p no:cacheprovider tests/e2e -q -rfE

# Fuzzing runs before e2e so that pytest's summary is the last line of the log.
test: unit unit-arches unit-unwinder fuzz e2e

demo: static
	scripts/demo.sh $(CURDIR)/$(STATIC)/executor

# The scratch, debug and warmer images, built by kiln itself (image/), each an
# index of every architecture in IMAGE_ARCHES.
images: static foreign-bins
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
