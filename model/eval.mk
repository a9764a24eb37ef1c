# model/eval.mk — quality evaluation (`make eval`), the speexdsp baseline processor and the metric tests.
#
#   make eval                      noisy input, speexdsp, Quell, Quell on the clean references
#                                  (speech damage) and RNNoise 0.1 and 0.2 (npm WASM builds) on
#                                  ../shared/data/dev (mix48, noizeus, wild48), and three bounds: the
#                                  ideal band gains (oracle), the ideal Wiener band gains (wiener)
#                                  and the clean reference
#   make eval EVAL_LIMIT=8         quick run: 8 items per set, spread over SNRs and noises
#   make eval EVAL_SYSTEMS="noisy speex"   without the plugin (e.g. before weights exist)
#   make eval EVAL_SETS=wild48 EVAL_SYSTEMS="rnnoise01 rnnoise02"   one set, the peer only
#   make eval EVAL_QUELL_SET="atten_limit=100"   Quell with other control values
# Outputs under $(BUILD)/eval: report.md, results.json, spectrograms/*.png.

QUELL_SHARED ?= $(CURDIR)/../shared
EVAL_LIMIT   ?= 0
EVAL_JOBS    ?= 2
EVAL_SYSTEMS ?= noisy speex quell quell_clean rnnoise01 rnnoise02 oracle wiener clean
EVAL_SETS    ?= mix48 noizeus wild48
# Quell controls other than the defaults, e.g. EVAL_QUELL_SET="atten_limit=100"
EVAL_QUELL_SET ?=

SPEEX_DENOISE := $(BUILD)/host-test/speex_denoise
# DNSMOS and the RNNoise peer run in node, their packages installed into the build tree (never into
# ../shared), all in one npm call: npm removes what a later --no-save install does not name.
# --ignore-scripts: onnxruntime-node's install script fetches GPU binaries, impossible and unneeded
# here; the CPU binaries ship inside the package. The RNNoise packages are prebuilt WASM: Jitsi's
# carries RNNoise 0.1 (dist/rnnoise.wasm) and 0.2 (inlined in dist/rnnoise-sync.js), Echogarden's
# another 0.1 build that tests/test_rnnoise_align.py checks the Jitsi one against (which file is
# which model: model/rnnoise_denoise.cjs). The stamp's name holds the versions, so changing one
# reinstalls.
ONNXRUNTIME_NODE_VERSION   := 1.30.0
RNNOISE_JITSI_VERSION      := 0.2.1
RNNOISE_ECHOGARDEN_VERSION := 0.2.0
EVAL_NODE_PACKAGES := onnxruntime-node@$(ONNXRUNTIME_NODE_VERSION) @jitsi/rnnoise-wasm@$(RNNOISE_JITSI_VERSION) \
                      @echogarden/rnnoise-wasm@$(RNNOISE_ECHOGARDEN_VERSION)
EVAL_NODE_PREFIX  := $(BUILD)/node
EVAL_NODE_STAMP   := $(EVAL_NODE_PREFIX)/installed-ort$(ONNXRUNTIME_NODE_VERSION)-jitsi$(RNNOISE_JITSI_VERSION)-echogarden$(RNNOISE_ECHOGARDEN_VERSION)

$(SPEEX_DENOISE): host-test/speex_denoise.c
	@pkg-config --exists speexdsp sndfile || { echo "speex_denoise needs speexdsp and sndfile: apt-get install libspeexdsp-dev libsndfile1-dev" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(Q_CFLAGS) $(shell pkg-config --cflags speexdsp sndfile) $< -o $@ \
	  $(Q_LDFLAGS) $(shell pkg-config --libs speexdsp sndfile) -lm

$(EVAL_NODE_STAMP):
	@command -v npm >/dev/null || { echo "make eval needs Node.js and npm (DNSMOS and RNNoise run in node)" >&2; exit 1; }
	@mkdir -p $(EVAL_NODE_PREFIX)
	rm -f $(EVAL_NODE_PREFIX)/installed-*
	npm install --prefix $(EVAL_NODE_PREFIX) --ignore-scripts --no-audit --no-fund --no-save $(EVAL_NODE_PACKAGES)
	echo $(EVAL_NODE_PACKAGES) >$@

EVAL_DEPS := $(SPEEX_DENOISE) $(EVAL_NODE_STAMP)
ifneq ($(filter quell quell_clean,$(EVAL_SYSTEMS)),)
EVAL_DEPS += all
endif
ifneq ($(filter oracle wiener,$(EVAL_SYSTEMS)),)
EVAL_DEPS += $(DSP_SO) $(QUELL_BLOB)
endif

eval: $(EVAL_DEPS)
	QUELL_SHARED=$(QUELL_SHARED) QUELL_NODE_MODULES=$(abspath $(EVAL_NODE_PREFIX))/node_modules \
	  $(PYTHON) model/eval.py --shared $(QUELL_SHARED) --build $(BUILD) --limit $(EVAL_LIMIT) \
	  --jobs $(EVAL_JOBS) --systems "$(EVAL_SYSTEMS)" --sets "$(EVAL_SETS)" \
	  $(foreach setting,$(EVAL_QUELL_SET),--quell-set $(setting))

# Would finer-than-band gains or deep filtering of the low bins raise the exact-gain bound? Exact
# per-bin and clean-spectrum variants against exact band gains on dev/mix48 (model/resolution_bound.py).
RESOLUTION_VARIANTS ?= band bin binlow:2000 exactlow:1000 exactlow:2000 exactlow:4000
eval-resolution: $(DSP_SO) $(QUELL_BLOB) $(EVAL_NODE_STAMP)
	QUELL_SHARED=$(QUELL_SHARED) QUELL_DSP_LIB=$(DSP_SO) \
	  QUELL_NODE_MODULES=$(abspath $(EVAL_NODE_PREFIX))/node_modules \
	  $(PYTHON) model/resolution_bound.py --shared $(QUELL_SHARED) --blob $(QUELL_BLOB) $(RESOLUTION_VARIANTS)
.PHONY: eval-resolution

speex-denoise: $(SPEEX_DENOISE)
.PHONY: speex-denoise

CHECK_DEPS    += $(SPEEX_DENOISE)
CHECK_SCRIPTS += tests/test_metrics.py tests/test_metrics_reference.py tests/test_metrics_baseline.sh \
                 tests/test_metrics_dnsmos.py tests/test_rnnoise_align.py
