# Quell — top-level build. Each folder owns a fragment (<folder>/<folder>.mk) included below;
# this file holds the shared flags, the pkg-config probes and the test runner.
#
#   make            build build/quell.lv2/ (LV2 bundle), build/ladspa/quell_ladspa.so, hosts
#   make check      build and run every test; prints "N passed, N failed, N skipped"
#   make install    PREFIX=/usr/local DESTDIR= LV2DIR=$(PREFIX)/lib/lv2 LADSPADIR=$(PREFIX)/lib/ladspa
#   make bench | eval | train | fuzz | asan-check | host-check   (see docs/testing.md)

PREFIX    ?= /usr/local
LV2DIR    ?= $(PREFIX)/lib/lv2
LADSPADIR ?= $(PREFIX)/lib/ladspa
BINDIR    ?= $(PREFIX)/bin
DESTDIR   ?=
BUILD     ?= build
PYTHON    ?= /usr/bin/python3

# The shipped weights; tests never depend on it being trained (they make fixture blobs).
QUELL_BLOB ?= model/quell.qwb

CC       ?= cc
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
Q_CFLAGS  = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter -fPIC \
            -fvisibility=hidden -fno-math-errno $(SAN_FLAGS)
Q_LDFLAGS = $(SAN_FLAGS)

# pkg-config probes: stop early with a clear message rather than failing deep in a compile.
# `make deps` must work on a machine that has none of them yet, so it skips the probes.
QUELL_ONLY_DEPS := $(if $(MAKECMDGOALS),$(if $(filter-out deps deps-train deps-hosts deps-node,$(MAKECMDGOALS)),,1),)
define quell_pkg
$(if $(QUELL_ONLY_DEPS),,$(if $(shell pkg-config --exists $(1) && echo ok),,$(error missing pkg-config package '$(1)': run the set-up command in README.md)))
endef
PKG_DSP  = fftw3f openblas
$(foreach p,$(PKG_DSP),$(call quell_pkg,$(p)))
DSP_CFLAGS = $(shell pkg-config --cflags fftw3f openblas)
DSP_LIBS   = $(shell pkg-config --libs fftw3f openblas) -lfftw3f_threads -lpthread -lm

.PHONY: all check install uninstall clean bench eval train fuzz asan-check host-check deps deps-train deps-hosts deps-node
all:

# Debian packages. `make deps` (as root) is what build + tests need (CI runs it); `deps-train`
# adds the training and evaluation stack, `deps-hosts` Ardour. README.md's set-up runs all three,
# then `make deps-npm` (below) as the user.
DEBIAN_DEPS = build-essential pkg-config clang libclang-rt-14-dev valgrind libsoxr-dev \
  lv2-dev sordi liblilv-dev lilv-utils ladspa-sdk jackd2 libjack-jackd2-dev jalv \
  libopenblas-dev libfftw3-dev libsndfile1-dev libspeexdsp-dev libcairo2-dev libfontconfig-dev sox \
  pipewire wireplumber dbus python3-numpy python3-scipy python3-soundfile
# A real DAW for tests/test_host_ardour.sh (which skips without it); large, so optional in CI.
DEBIAN_HOST_DEPS = ardour
DEBIAN_TRAIN_DEPS = python3-torch python3-numpy python3-scipy python3-soundfile python3-matplotlib python3-resampy \
  ffmpeg

# Installs the Debian packages of $(1) that are missing (needs root).
define quell_apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "already installed: $(1)"; fi
endef

deps:
	$(call quell_apt_install,$(DEBIAN_DEPS))
deps-hosts:
	$(call quell_apt_install,$(DEBIAN_HOST_DEPS))
# node + npm run the DNSMOS ONNX models in `make eval`; any node >= 18 will do, so Debian's is
# installed only when none is on PATH (a newer one may be present and conflict with it).
deps-train:
	$(call quell_apt_install,$(DEBIAN_TRAIN_DEPS))
	@command -v npm >/dev/null 2>&1 || $(MAKE) --no-print-directory deps-node
deps-node:
	$(call quell_apt_install,nodejs npm)

CHECK_PROGS   :=   # test executables, each exits 0 pass, 77 skip, else fail
CHECK_SCRIPTS :=   # test scripts, same convention
CHECK_DEPS    :=   # everything the tests need built first

ifeq ($(QUELL_ONLY_DEPS),)
include dsp/dsp.mk
include plugin/plugin.mk
include tests/tests.mk
-include host-test/host-test.mk
-include presets/presets.mk
-include model/model.mk
-include model/eval.mk
-include model/adapt.mk
-include tests/reliability.mk
endif

# The npm packages that the DNSMOS meter test (tests/test_metrics_dnsmos.py) and `make eval` run
# in node, installed into build/node by model/eval.mk's rule. No root needed, so it is not part of
# `sudo make deps`; README.md's set-up runs it after the build.
deps-npm: $(EVAL_NODE_STAMP)
.PHONY: deps-npm

check: all $(CHECK_PROGS) $(CHECK_DEPS)
	@BUILD=$(BUILD) sh tests/run-tests.sh $(CHECK_PROGS) $(CHECK_SCRIPTS)

clean:
	rm -rf $(BUILD)
