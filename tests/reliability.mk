# tests/reliability.mk — benchmarks and reliability (issue 4).
#
#   make bench            tables: CPU per audio second (engine, LV2 run(), speexdsp), denormals,
#                         24 h of silence, instance memory, quell-process peak RSS, callgrind
#   make bench-callgrind  instructions per audio second inside quell_engine_process (valgrind)
#   make fuzz             libFuzzer over the weights-blob loader (FUZZ_SECONDS, default 60)
#   make asan-check       the whole `make check` rebuilt under ASan+UBSan in build/asan
#   make soak             the JACK harness at 64-frame periods (SOAK_SECONDS, default 60)
#   make soak-silence     24 h of digital silence through the engine, for real (SILENCE_HOURS)
#   make tsan-abuse       concurrent instantiation under ThreadSanitizer in build/tsan
#
# The model benched: QUELL_MODEL=path, else $(QUELL_BLOB) when it exists, else a fixture blob.

REL_CFLAGS = $(CFLAGS) $(Q_CFLAGS) $(DSP_CFLAGS) -Idsp
BENCH_DIR  = $(BUILD)/bench
BENCH_BIN  = $(BENCH_DIR)/bench_quell
BENCH_MODEL = $(or $(QUELL_MODEL),$(wildcard $(QUELL_BLOB)))
BENCH_PROCESS = $(BUILD)/host-test/quell-process
SPEEX_LIBS = $(shell pkg-config --libs speexdsp)
SNDFILE_LIBS = $(shell pkg-config --libs sndfile)

# The bench is always -O2 whatever OPT says (numbers must be comparable between runs).
$(BENCH_BIN): tests/bench_quell.c tests/blob_fixture.h $(TEST_FIXTURE_OBJ) $(DSP_LIB)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -O2 $(LILV_CFLAGS) -o $@ $< $(TEST_FIXTURE_OBJ) $(DSP_LIB) \
	  $(Q_LDFLAGS) $(LILV_LIBS) $(SPEEX_LIBS) $(SNDFILE_LIBS) $(DSP_LIBS)

.PHONY: bench bench-callgrind
bench: $(BENCH_BIN) fixture-bundle
	$(BENCH_BIN) --model '$(BENCH_MODEL)' --bundle $(BUILD)/test-lv2/quell.lv2 \
	  --process $(BENCH_PROCESS) --workdir $(BENCH_DIR)
	@$(MAKE) --no-print-directory bench-callgrind

# Callgrind counts instructions (repeatable for one binary, input and machine); OpenBLAS picks
# its kernels from cpuid, which valgrind rewrites, so the core type is pinned for a stable figure.
CALLGRIND_SECONDS ?= 3
BENCH_CALLGRIND = OPENBLAS_CORETYPE=Haswell valgrind --tool=callgrind --collect-atstart=no \
  --toggle-collect=quell_engine_process
bench-callgrind: $(BENCH_BIN)
	@echo; echo '## Instructions per audio second (callgrind, inside quell_engine_process, block 480)'; echo
	@echo '| rate  | ch | instructions / audio s |'; echo '|-------|----|------------------------|'
	@for job in '48000 1' '48000 2' '16000 1'; do \
	  set -- $$job; \
	  $(BENCH_CALLGRIND) --callgrind-out-file=$(BENCH_DIR)/callgrind.$$1.$$2.out \
	    $(BENCH_BIN) --callgrind $$1 $$2 480 $(CALLGRIND_SECONDS) --model '$(BENCH_MODEL)' \
	    >$(BENCH_DIR)/callgrind.$$1.$$2.log 2>&1 || { cat $(BENCH_DIR)/callgrind.$$1.$$2.log; exit 1; }; \
	  ir=$$(sed -n 's/^summary: *//p' $(BENCH_DIR)/callgrind.$$1.$$2.out); \
	  awk -v r=$$1 -v c=$$2 -v ir=$$ir -v s=$(CALLGRIND_SECONDS) \
	    'BEGIN { printf "| %5s | %2s | %22.0f |\n", r, c, ir / s }'; \
	done

# --- fuzzing -----------------------------------------------------------------------------------
# libFuzzer needs clang; the engine sources are compiled into the fuzzer with the same
# instrumentation (a prebuilt gcc library would hide its bugs from ASan and from coverage).
FUZZ_CC      ?= clang
FUZZ_DIR      = $(BUILD)/fuzz
FUZZ_BIN      = $(FUZZ_DIR)/fuzz_blob
FUZZ_SEEDS    = $(FUZZ_DIR)/seeds
FUZZ_WORK     = $(FUZZ_DIR)/corpus
FUZZ_SECONDS ?= 60
# e.g. FUZZ_FLAGS="-fork=1 -ignore_crashes=1" to keep going past a known crash
FUZZ_FLAGS   ?=
FUZZ_SAN      = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -g -O1 $(DSP_CFLAGS) -Idsp
FUZZ_SRCS     = $(wildcard dsp/*.c) tests/blob_fixture.c tests/fuzz_blob.c

$(FUZZ_BIN): $(FUZZ_SRCS) dsp/*.h tests/blob_fixture.h
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs $(FUZZ_CC) (Debian packages clang and libclang-rt-14-dev)"; exit 1; }
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -o $@ $(FUZZ_SRCS) $(DSP_LIBS)

$(FUZZ_DIR)/fuzz_seeds: tests/fuzz_seeds.c $(TEST_FIXTURE_OBJ) $(DSP_LIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TEST_FIXTURE_OBJ) $(DSP_LIB) $(Q_LDFLAGS) $(DSP_LIBS)

# Runs FUZZ_SECONDS over the seeds plus the kept corpus; new coverage goes to $(FUZZ_WORK)
# (build output), crashes to $(FUZZ_DIR)/crash-*. Minimise a crash with
#   $(FUZZ_BIN) -minimize_crash=1 -runs=10000 CRASHFILE
# and keep it as tests/fuzz-corpus/reject-<what>.bin (or load-...) once the bug is fixed.
.PHONY: fuzz
fuzz: $(FUZZ_BIN) $(FUZZ_DIR)/fuzz_seeds
	@mkdir -p $(FUZZ_SEEDS) $(FUZZ_WORK)
	$(FUZZ_DIR)/fuzz_seeds $(FUZZ_SEEDS)
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	  $(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 -rss_limit_mb=4096 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_FLAGS) $(FUZZ_WORK) $(FUZZ_SEEDS) \
	    tests/fuzz-corpus

# The replay test: fuzz_blob.c compiled as a normal object, run over tests/fuzz-corpus/.
$(BUILD)/tests/test_fuzz_corpus: $(BUILD)/tests/test_fuzz_corpus.o $(BUILD)/tests/fuzz_blob.o \
                                 $(TEST_FIXTURE_OBJ) $(DSP_LIB)
	$(CC) $(Q_LDFLAGS) -o $@ $^ $(DSP_LIBS)
CHECK_PROGS += $(BUILD)/tests/test_fuzz_corpus

# --- abuse tests -------------------------------------------------------------------------------
ABUSE_ENGINE_TESTS := test_abuse_audio test_abuse_lifecycle
$(ABUSE_ENGINE_TESTS:%=$(BUILD)/tests/%): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_FIXTURE_OBJ) $(DSP_LIB)
	$(CC) $(Q_LDFLAGS) -o $@ $^ $(DSP_LIBS)
CHECK_PROGS += $(ABUSE_ENGINE_TESTS:%=$(BUILD)/tests/%)

# Host abuse through the real plugin (fixture bundle, lilv) and the LADSPA .so (dlopen).
$(BUILD)/tests/test_host_abuse: tests/test_host_abuse.c tests/quell_test.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(Q_CFLAGS) $(LV2_CFLAGS) $(LILV_CFLAGS) -DQUELL_ABUSE_BUILD='"$(BUILD)"' \
	  -o $@ $< $(Q_LDFLAGS) $(LILV_LIBS) -ldl -lpthread -lm
CHECK_PROGS += $(BUILD)/tests/test_host_abuse
CHECK_DEPS  += fixture-bundle

# valgrind memcheck over the engine and the plugin (lv2apply): zero errors, zero definite leaks.
CHECK_SCRIPTS += tests/test_memcheck.sh
CHECK_DEPS    += $(BUILD)/tests/test_abuse_lifecycle

# --- sanitizers --------------------------------------------------------------------------------
# The whole `make check`, rebuilt with ASan+UBSan into a separate build folder. Plugins dlopen'ed
# by our own test hosts share the hosts' ASan runtime (the hosts are instrumented too); scripts
# that run third-party hosts (lv2apply, jalv) preload the runtime themselves. test_memcheck.sh
# skips itself here (valgrind cannot run ASan binaries): memcheck runs in the normal `make check`.
ASAN_BUILD ?= build/asan
ASAN_FLAGS  = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
.PHONY: asan-check
asan-check:
	ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:check_initialization_order=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) SAN_FLAGS='$(ASAN_FLAGS)' check

# --- soak --------------------------------------------------------------------------------------
SOAK_SECONDS ?= 60
.PHONY: soak
soak: fixture-bundle $(BUILD)/host-test/quell-jack
	SOAK_SECONDS=$(SOAK_SECONDS) BUILD=$(BUILD) sh tests/soak.sh

# 24 h of digital silence through the engine for real (about 7 CPU minutes; `make bench` only
# extrapolates from 2 minutes). SILENCE_HOURS=24 by default.
SILENCE_HOURS ?= 24
.PHONY: soak-silence
soak-silence: $(BENCH_BIN)
	$(BENCH_BIN) --silence-hours $(SILENCE_HOURS) --model '$(BENCH_MODEL)'

# ThreadSanitizer over the concurrency cases of test_host_abuse (plugin and test host built with
# -fsanitize=thread in $(BUILD)/tsan; FFTW, OpenBLAS and lilv are not instrumented, so races
# inside them are out of its sight — the engine's own planner lock and state are not).
TSAN_BUILD ?= build/tsan
.PHONY: tsan-abuse
tsan-abuse:
	$(MAKE) --no-print-directory BUILD=$(TSAN_BUILD) SAN_FLAGS=-fsanitize=thread fixture-bundle \
	  $(TSAN_BUILD)/tests/test_host_abuse
	BUILD=$(TSAN_BUILD) ABUSE_SKIP_THOUSAND=1 ABUSE_THREAD_ITERATIONS=80 \
	  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $(TSAN_BUILD)/tests/test_host_abuse
