# presets/ — the LV2 preset bundle, generated from the one table presets/presets.def.
#
#   make            build/quell-presets.lv2/{manifest.ttl,presets.ttl}
#   make install    $(DESTDIR)$(LV2DIR)/quell-presets.lv2/

PRESETS_BUNDLE := $(BUILD)/quell-presets.lv2
PRESETGEN      := $(BUILD)/presets/quell-presetgen

# A build-time tool: it checks every value against plugin/quell_ports.h before writing.
$(PRESETGEN): presets/quell_presetgen.c presets/presets.def plugin/quell_ports.h dsp/quell.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(Q_CFLAGS) -o $@ $< -lm

$(PRESETS_BUNDLE)/manifest.ttl: $(PRESETGEN)
	@mkdir -p $(@D)
	$(PRESETGEN) $(@D)

all: $(PRESETS_BUNDLE)/manifest.ttl

CHECK_SCRIPTS += tests/test_presets.sh
CHECK_DEPS    += $(PRESETS_BUNDLE)/manifest.ttl $(PRESETGEN)

.PHONY: presets-install presets-uninstall
install: presets-install
uninstall: presets-uninstall
presets-install: $(PRESETS_BUNDLE)/manifest.ttl
	install -d '$(DESTDIR)$(LV2DIR)/quell-presets.lv2'
	install -m 644 $(PRESETS_BUNDLE)/manifest.ttl $(PRESETS_BUNDLE)/presets.ttl \
	  '$(DESTDIR)$(LV2DIR)/quell-presets.lv2/'

presets-uninstall:
	rm -f '$(DESTDIR)$(LV2DIR)/quell-presets.lv2/manifest.ttl' \
	  '$(DESTDIR)$(LV2DIR)/quell-presets.lv2/presets.ttl'
	-rmdir '$(DESTDIR)$(LV2DIR)/quell-presets.lv2' 2>/dev/null
