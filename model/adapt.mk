# model/adapt.mk — quell-adapt: fine-tunes Quell on a folder of the user's noise (model/adapt.py,
# docs/adapt.md). Built as a small launcher; installed with the Python files it needs, the engine
# library and the shipped weights.
#
#   make adapt NOISE=DIR OUT=my-room.qwb [MINUTES=8] [FROM=model.qwb] [SPEECH=DIR]
#   make install       also $(BINDIR)/quell-adapt, $(PREFIX)/share/quell/model/, $(PREFIX)/lib/quell/

ADAPT_BIN      := $(BUILD)/quell-adapt
ADAPT_SHARE    := $(PREFIX)/share/quell/model
ADAPT_LIBDIR   := $(PREFIX)/lib/quell
# What adapt.py imports (training recipe, loss, export, engine binding, meters).
ADAPT_PY       := model/adapt.py model/data.py model/train.py model/export.py model/quell_dsp.py \
                  model/metrics.py model/dnsmos.py model/dnsmos.cjs

# $(1): the launcher's file, $(2): folder of the Python files, $(3): the engine library.
define quell_adapt_launcher
	@mkdir -p $(dir $(1))
	printf '#!/bin/sh\n# quell-adapt: fine-tune Quell on your own noise (quell-adapt --help).\nQUELL_DSP_LIB=$${QUELL_DSP_LIB:-%s} exec %s %s/adapt.py "$$@"\n' \
	  '$(3)' '$(PYTHON)' '$(2)' > $(1).tmp && chmod 755 $(1).tmp && mv $(1).tmp $(1)
endef

$(ADAPT_BIN): model/adapt.mk
	$(call quell_adapt_launcher,$@,$(abspath model),$(abspath $(DSP_SO)))

all: $(ADAPT_BIN)

.PHONY: adapt adapt-install adapt-uninstall
adapt: $(ADAPT_BIN) $(DSP_SO)
	@[ -n "$(NOISE)" ] && [ -n "$(OUT)" ] || { echo "usage: make adapt NOISE=DIR OUT=my-room.qwb [MINUTES=8] [FROM=model.qwb] [SPEECH=DIR]" >&2; exit 64; }
	$(ADAPT_BIN) --noise '$(NOISE)' --out '$(OUT)' $(if $(MINUTES),--minutes $(MINUTES)) \
	  $(if $(FROM),--from '$(FROM)') $(if $(SPEECH),--speech '$(SPEECH)')

install: adapt-install
uninstall: adapt-uninstall
adapt-install: $(DSP_SO)
	install -d '$(DESTDIR)$(ADAPT_SHARE)' '$(DESTDIR)$(ADAPT_LIBDIR)' '$(DESTDIR)$(BINDIR)'
	install -m 644 $(ADAPT_PY) '$(DESTDIR)$(ADAPT_SHARE)/'
	$(if $(PLUGIN_BLOB),install -m 644 $(PLUGIN_BLOB) '$(DESTDIR)$(ADAPT_SHARE)/quell.qwb')
	install -m 755 $(DSP_SO) '$(DESTDIR)$(ADAPT_LIBDIR)/'
	$(call quell_adapt_launcher,$(DESTDIR)$(BINDIR)/quell-adapt,$(ADAPT_SHARE),$(ADAPT_LIBDIR)/libquell_dsp.so)

adapt-uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/quell-adapt' '$(DESTDIR)$(ADAPT_LIBDIR)/libquell_dsp.so'
	rm -f $(addprefix '$(DESTDIR)$(ADAPT_SHARE)/,$(addsuffix ',$(notdir $(ADAPT_PY)) quell.qwb))
	-rmdir '$(DESTDIR)$(ADAPT_SHARE)' '$(DESTDIR)$(PREFIX)/share/quell' '$(DESTDIR)$(ADAPT_LIBDIR)' 2>/dev/null

# Error handling, the blob's info section and (with PyTorch and speech) a tiny run and Ctrl-C;
# CI has no PyTorch, so it runs only the first two parts (seconds).
CHECK_SCRIPTS += tests/test_adapt.py
CHECK_DEPS    += $(DSP_SO) $(ADAPT_BIN) $(QUELL_FIXTURE_BLOB)
