# model/eval.mk — quality evaluation (`make eval`), the speexdsp baseline processor and the metric tests.
#
#   make eval                      noisy input, speexdsp and Quell on ../shared/data/dev (mix48, noizeus),
#                                  and three bounds: the ideal band gains (oracle), the ideal Wiener
#                                  band gains (wiener) and the clean reference
#   make eval EVAL_LIMIT=8         quick run: 8 items per set, spread over SNRs and noises
#   make eval EVAL_SYSTEMS="noisy speex"   without the plugin (e.g. before weights exist)
#   make eval EVAL_QUELL_SET="atten_limit=100"   Quell with other control values
# Outputs under $(BUILD)/eval: report.md, results.json, spectrograms/*.png.

QUELL_SHARED ?= $(CURDIR)/../shared
EVAL_LIMIT   ?= 0
EVAL_JOBS    ?= 2
EVAL_SYSTEMS ?= noisy speex quell oracle wiener clean
EVAL_SETS    ?= mix48 noizeus
# Quell controls other than the defaults, e.g. EVAL_QUELL_SET="atten_limit=100"
EVAL_QUELL_SET ?=

SPEEX_DENOISE := $(BUILD)/host-test/speex_denoise
# DNSMOS runs in node through onnxruntime-node, installed into the build tree (never into ../shared).
# --ignore-scripts: its install script fetches GPU binaries, impossible and unneeded here; the CPU
# binaries ship inside the package.
ONNXRUNTIME_NODE_VERSION := 1.30.0
EVAL_NODE_PREFIX  := $(BUILD)/node
EVAL_NODE_STAMP   := $(EVAL_NODE_PREFIX)/node_modules/onnxruntime-node/package.json

$(SPEEX_DENOISE): host-test/speex_denoise.c
	@pkg-config --exists speexdsp sndfile || { echo "speex_denoise needs speexdsp and sndfile: apt-get install libspeexdsp-dev libsndfile1-dev" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(Q_CFLAGS) $(shell pkg-config --cflags speexdsp sndfile) $< -o $@ \
	  $(Q_LDFLAGS) $(shell pkg-config --libs speexdsp sndfile) -lm

$(EVAL_NODE_STAMP):
	@command -v npm >/dev/null || { echo "make eval needs Node.js and npm (DNSMOS runs in onnxruntime-node)" >&2; exit 1; }
	@mkdir -p $(EVAL_NODE_PREFIX)
	npm install --prefix $(EVAL_NODE_PREFIX) --ignore-scripts --no-audit --no-fund --no-save \
	  onnxruntime-node@$(ONNXRUNTIME_NODE_VERSION)

EVAL_DEPS := $(SPEEX_DENOISE) $(EVAL_NODE_STAMP)
ifneq ($(filter quell,$(EVAL_SYSTEMS)),)
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
                 tests/test_metrics_dnsmos.py
