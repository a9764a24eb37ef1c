# host-test/ — hosts that load the real plugin bundle through lilv, and the proofs in real hosts.
#
#   make                 build/host-test/quell-process (files, lilv + libsndfile)
#                        build/host-test/quell-jack    (JACK latency/load/live harness)
#   make check           fast host tests (offline processor, JACK latency at a few sizes/rates,
#                        jalv, Ardour-style scan, PipeWire config, Ardour itself if installed)
#   make host-check      the long JACK matrix: buffer sizes 16..2048 x 44.1/48/96 kHz, both
#                        variants, plus a short --load table (CI runs it)
#   make install         quell-process and quell-jack into $(DESTDIR)$(BINDIR)
#
# Tests run against the fixture bundle (build/test-lv2, random-weight blob), never trained weights.
# (host-test/speex_denoise.c belongs to model/eval.mk.)

$(foreach p,lilv-0 sndfile jack soxr cairo fontconfig,$(call quell_pkg,$(p)))
HOST_CFLAGS = $(shell pkg-config --cflags lilv-0 sndfile jack soxr cairo fontconfig fftw3f)
HOST_DIR    := $(BUILD)/host-test
HOST_OBJS   := quell_host quell_process quell_locate quell_resample quell_jack quell_wavcmp quell_report
QUELL_PROCESS := $(HOST_DIR)/quell-process
QUELL_JACK    := $(HOST_DIR)/quell-jack
HOST_SCAN     := $(HOST_DIR)/test_host_scan
QUELL_WAVCMP  := $(HOST_DIR)/quell-wavcmp

$(HOST_OBJS:%=$(HOST_DIR)/%.o): $(HOST_DIR)/%.o: host-test/%.c host-test/quell_host.h \
                                                  host-test/quell_locate.h host-test/quell_resample.h \
                                                  host-test/quell_report.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(Q_CFLAGS) $(HOST_CFLAGS) -c $< -o $@

# The Ardour-style scan check lives with the tests but builds here, against the same host code.
$(HOST_DIR)/test_host_scan.o: tests/test_host_scan.c host-test/quell_host.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(Q_CFLAGS) $(HOST_CFLAGS) -Ihost-test -c $< -o $@

$(QUELL_PROCESS): $(HOST_DIR)/quell_process.o $(HOST_DIR)/quell_host.o $(HOST_DIR)/quell_locate.o \
                  $(HOST_DIR)/quell_resample.o $(HOST_DIR)/quell_report.o
	$(CC) $(Q_LDFLAGS) -o $@ $^ $(shell pkg-config --libs lilv-0 sndfile soxr cairo fontconfig fftw3f) -lm

$(QUELL_JACK): $(HOST_DIR)/quell_jack.o $(HOST_DIR)/quell_host.o
	$(CC) $(Q_LDFLAGS) -o $@ $^ $(shell pkg-config --libs lilv-0 jack) -lm

# Test helper: lengths, difference and alignment of two audio files.
$(QUELL_WAVCMP): $(HOST_DIR)/quell_wavcmp.o
	$(CC) $(Q_LDFLAGS) -o $@ $^ $(shell pkg-config --libs sndfile) -lm

$(HOST_SCAN): $(HOST_DIR)/test_host_scan.o $(HOST_DIR)/quell_host.o
	$(CC) $(Q_LDFLAGS) -o $@ $^ $(shell pkg-config --libs lilv-0) -lm

all: $(QUELL_PROCESS) $(QUELL_JACK)

CHECK_PROGS   += $(HOST_SCAN)
CHECK_SCRIPTS += tests/test_quell_process.sh tests/test_quell_process_data.sh \
                 tests/test_jack_latency.sh tests/test_jack_jalv.sh tests/test_host_pipewire.sh \
                 tests/test_host_ardour.sh tests/test_host_model.sh tests/test_host_ardour_model.sh tests/test_quell_process_report.sh
CHECK_DEPS    += $(QUELL_PROCESS) $(QUELL_JACK) $(QUELL_WAVCMP) fixture-bundle

# The long JACK matrix: every power-of-two buffer size 16..2048 at 44.1, 48 and 96 kHz for both
# variants, then --load at a few sizes. Prints the tables; fails on any disagreement.
.PHONY: host-check hosts-install hosts-uninstall
host-check: $(QUELL_JACK) fixture-bundle
	QUELL_JACK_MATRIX=full BUILD=$(BUILD) sh tests/test_jack_latency.sh

install: hosts-install
uninstall: hosts-uninstall
hosts-install: $(QUELL_PROCESS) $(QUELL_JACK)
	install -d '$(DESTDIR)$(BINDIR)'
	install -m 755 $(QUELL_PROCESS) $(QUELL_JACK) '$(DESTDIR)$(BINDIR)/'

hosts-uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/quell-process' '$(DESTDIR)$(BINDIR)/quell-jack'
