# plugin/ — the LV2 and LADSPA adapters, the generated TTL, the bundle, install, and the
# plugin-level tests (they host the built .so files exactly as a host would).
#
#   make                   build/quell.lv2/{quell.so,manifest.ttl,quell.ttl[,quell.qwb]}
#                          build/ladspa/{quell_ladspa.so[,quell.qwb]}
#   make fixture-bundle    build/test-lv2/quell.lv2/ and build/test-ladspa/ with a fixture blob
#   make install           $(DESTDIR)$(LV2DIR)/quell.lv2/ and $(DESTDIR)$(LADSPADIR)/

$(foreach p,lv2 lilv-0 cairo,$(call quell_pkg,$(p)))
ifneq ($(shell printf '\043include <ladspa.h>\n' | $(CC) -E - >/dev/null 2>&1 && echo ok),ok)
$(error missing ladspa.h (Debian package ladspa-sdk): run the set-up command in README.md)
endif

LV2_CFLAGS  = $(shell pkg-config --cflags lv2)
LILV_CFLAGS = $(shell pkg-config --cflags lilv-0)
LILV_LIBS   = $(shell pkg-config --libs lilv-0)
# cairo draws the inline display (plugin/quell_inline_display.c) in the LV2 plugin only.
CAIRO_CFLAGS = $(shell pkg-config --cflags cairo)
CAIRO_LIBS   = $(shell pkg-config --libs cairo)

PLUGIN_BUNDLE  := $(BUILD)/quell.lv2
PLUGIN_LADSPA  := $(BUILD)/ladspa
PLUGIN_TTLGEN  := $(BUILD)/plugin/quell_ttlgen
PLUGIN_HDRS    := plugin/quell_glue.h plugin/quell_ports.h dsp/quell.h plugin/quell_model_param.h
PLUGIN_DISPLAY_HDRS := plugin/quell_inline_display.h plugin/quell_display_snapshot.h \
                       plugin/quell_lv2_inline_display.h
PLUGIN_DISPLAY_OBJS := $(BUILD)/plugin/quell_inline_display.o $(BUILD)/plugin/quell_display_snapshot.o
# Only the descriptor functions are exported (plugin/exports.map); --no-undefined makes a missing
# engine symbol a link error here rather than a dlopen failure inside somebody's host (not under
# sanitizers: a clang-sanitized .so leaves the runtime's symbols to the executable). -z now binds
# everything at load, so no lazy symbol resolution happens inside the first run(). -z nodelete
# keeps the plugin (and so FFTW and OpenBLAS) mapped after a host's dlclose: FFTW's planner and
# OpenBLAS's threads are process-wide state that must not be torn down and rebuilt on every
# plugin scan (each unload would otherwise leak FFTW's planner memory).
PLUGIN_LDFLAGS  = -shared -Wl,--version-script=plugin/exports.map $(if $(SAN_FLAGS),,-Wl,--no-undefined) \
                  -Wl,-z,relro -Wl,-z,now -Wl,-z,nodelete

# The shipped weights go into the bundle when they exist (tests use fixture bundles instead).
PLUGIN_BLOB := $(wildcard $(QUELL_BLOB))

$(BUILD)/plugin/%.o: plugin/%.c $(PLUGIN_HDRS) $(PLUGIN_DISPLAY_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(Q_CFLAGS) $(LV2_CFLAGS) $(CAIRO_CFLAGS) -c $< -o $@

$(PLUGIN_BUNDLE)/quell.so: $(BUILD)/plugin/lv2.o $(BUILD)/plugin/quell_glue.o $(PLUGIN_DISPLAY_OBJS) $(BUILD)/plugin/quell_model_param.o $(DSP_LIB) plugin/exports.map plugin/plugin.mk
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_LDFLAGS) $(Q_LDFLAGS) -o $@ $(BUILD)/plugin/lv2.o $(BUILD)/plugin/quell_glue.o \
	  $(PLUGIN_DISPLAY_OBJS) $(BUILD)/plugin/quell_model_param.o $(DSP_LIB) $(DSP_LIBS) $(CAIRO_LIBS)

$(PLUGIN_LADSPA)/quell_ladspa.so: $(BUILD)/plugin/ladspa.o $(BUILD)/plugin/quell_glue.o $(DSP_LIB) plugin/exports.map plugin/plugin.mk
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_LDFLAGS) $(Q_LDFLAGS) -o $@ $(BUILD)/plugin/ladspa.o $(BUILD)/plugin/quell_glue.o \
	  $(DSP_LIB) $(DSP_LIBS) -ldl -lpthread

# TTL is generated from plugin/quell_ports.h by a build-time tool (no hand-written port lists).
$(PLUGIN_TTLGEN): plugin/quell_ttlgen.c plugin/quell_ports.h dsp/quell.h plugin/quell_lv2_inline_display.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(Q_CFLAGS) -o $@ $<

$(PLUGIN_BUNDLE)/manifest.ttl: $(PLUGIN_TTLGEN)
	@mkdir -p $(@D)
	$(PLUGIN_TTLGEN) manifest quell.so > $@.tmp && mv $@.tmp $@

$(PLUGIN_BUNDLE)/quell.ttl: $(PLUGIN_TTLGEN)
	@mkdir -p $(@D)
	$(PLUGIN_TTLGEN) plugin > $@.tmp && mv $@.tmp $@

$(PLUGIN_BUNDLE)/quell.qwb $(PLUGIN_LADSPA)/quell.qwb: $(PLUGIN_BLOB)
	@mkdir -p $(@D)
	cp $< $@

PLUGIN_BUNDLE_FILES := $(PLUGIN_BUNDLE)/quell.so $(PLUGIN_BUNDLE)/manifest.ttl $(PLUGIN_BUNDLE)/quell.ttl
PLUGIN_LADSPA_FILES := $(PLUGIN_LADSPA)/quell_ladspa.so
ifneq ($(PLUGIN_BLOB),)
PLUGIN_BUNDLE_FILES += $(PLUGIN_BUNDLE)/quell.qwb
PLUGIN_LADSPA_FILES += $(PLUGIN_LADSPA)/quell.qwb
endif

all: $(PLUGIN_BUNDLE_FILES) $(PLUGIN_LADSPA_FILES)

# --- fixture bundles: the same binaries and TTL with random-weight fixture blobs -------------
FIXTURE_LV2    := $(BUILD)/test-lv2/quell.lv2
FIXTURE_LADSPA := $(BUILD)/test-ladspa
FIXTURE_BLOB_TOOL := $(BUILD)/tests/quell-fixture-blob

$(FIXTURE_LV2)/%: $(PLUGIN_BUNDLE)/%
	@mkdir -p $(@D)
	cp $< $@
$(FIXTURE_LADSPA)/quell_ladspa.so: $(PLUGIN_LADSPA)/quell_ladspa.so
	@mkdir -p $(@D)
	cp $< $@
$(FIXTURE_LV2)/quell.qwb $(FIXTURE_LADSPA)/quell.qwb: $(FIXTURE_BLOB_TOOL)
	@mkdir -p $(@D)
	$(FIXTURE_BLOB_TOOL) $@

.PHONY: fixture-bundle
fixture-bundle: $(FIXTURE_LV2)/quell.so $(FIXTURE_LV2)/manifest.ttl $(FIXTURE_LV2)/quell.ttl \
                $(FIXTURE_LV2)/quell.qwb $(FIXTURE_LADSPA)/quell_ladspa.so $(FIXTURE_LADSPA)/quell.qwb

# --- install -----------------------------------------------------------------------------------
# $(1) = root to install under (DESTDIR). The LADSPA weights sit beside the .so (found by dladdr).
define quell_plugin_install
	install -d '$(1)$(LV2DIR)/quell.lv2' '$(1)$(LADSPADIR)'
	install -m 755 $(PLUGIN_BUNDLE)/quell.so '$(1)$(LV2DIR)/quell.lv2/'
	install -m 644 $(PLUGIN_BUNDLE)/manifest.ttl $(PLUGIN_BUNDLE)/quell.ttl '$(1)$(LV2DIR)/quell.lv2/'
	$(if $(PLUGIN_BLOB),install -m 644 $(PLUGIN_BLOB) '$(1)$(LV2DIR)/quell.lv2/quell.qwb')
	install -m 755 $(PLUGIN_LADSPA)/quell_ladspa.so '$(1)$(LADSPADIR)/'
	$(if $(PLUGIN_BLOB),install -m 644 $(PLUGIN_BLOB) '$(1)$(LADSPADIR)/quell.qwb')
endef

.PHONY: plugin-install plugin-uninstall
install: plugin-install
uninstall: plugin-uninstall
plugin-install: $(PLUGIN_BUNDLE_FILES) $(PLUGIN_LADSPA_FILES)
	$(call quell_plugin_install,$(DESTDIR))

plugin-uninstall:
	rm -f '$(DESTDIR)$(LV2DIR)/quell.lv2/quell.so' '$(DESTDIR)$(LV2DIR)/quell.lv2/manifest.ttl' \
	  '$(DESTDIR)$(LV2DIR)/quell.lv2/quell.ttl' '$(DESTDIR)$(LV2DIR)/quell.lv2/quell.qwb' \
	  '$(DESTDIR)$(LADSPADIR)/quell_ladspa.so' '$(DESTDIR)$(LADSPADIR)/quell.qwb'
	-rmdir '$(DESTDIR)$(LV2DIR)/quell.lv2' 2>/dev/null

# A staged install (DESTDIR=build/test-install, PREFIX=/usr) that the lv2apply test runs through,
# so the install layout itself is tested. Weights come from QUELL_MODEL in that test.
PLUGIN_TEST_INSTALL := $(BUILD)/test-install
$(PLUGIN_TEST_INSTALL)/.stamp: $(PLUGIN_BUNDLE_FILES) $(PLUGIN_LADSPA_FILES) plugin/plugin.mk
	rm -rf $(PLUGIN_TEST_INSTALL)
	$(MAKE) --no-print-directory plugin-install DESTDIR=$(abspath $(PLUGIN_TEST_INSTALL)) \
	  PREFIX=/usr LV2DIR=/usr/lib/lv2 LADSPADIR=/usr/lib/ladspa
	touch $@

# --- tests ---------------------------------------------------------------------------------
PLUGIN_TEST_CFLAGS = $(CFLAGS) $(Q_CFLAGS) $(LV2_CFLAGS) $(LILV_CFLAGS) -DQUELL_TEST_BUILD='"$(BUILD)"'
PLUGIN_LV2_TESTS := test_lv2_latency test_lv2_controls test_lv2_instantiate_failures test_lv2_metadata
PLUGIN_TESTS     := $(PLUGIN_LV2_TESTS) test_ladspa_plugin test_realtime

$(PLUGIN_LV2_TESTS:%=$(BUILD)/tests/%): $(BUILD)/tests/%: tests/%.c tests/test_lv2_host.c tests/test_lv2_host.h $(PLUGIN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_TEST_CFLAGS) -o $@ $< tests/test_lv2_host.c $(Q_LDFLAGS) $(LILV_LIBS) -lm

$(BUILD)/tests/test_ladspa_plugin: tests/test_ladspa_plugin.c tests/test_lv2_host.c tests/test_lv2_host.h $(PLUGIN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_TEST_CFLAGS) -o $@ $< tests/test_lv2_host.c $(Q_LDFLAGS) $(LILV_LIBS) -ldl -lm

$(BUILD)/tests/test_realtime: tests/test_realtime.c tests/test_lv2_host.c tests/test_lv2_host.h $(PLUGIN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_TEST_CFLAGS) -o $@ $< tests/test_lv2_host.c $(Q_LDFLAGS) $(LILV_LIBS) -ldl -lpthread -lm

# The inline display as a host drives it (lilv, the queue_draw feature, render on a second thread).
PLUGIN_TESTS += test_inline_display
$(BUILD)/tests/test_inline_display: tests/test_inline_display.c tests/test_lv2_host.c tests/test_lv2_host.h \
                                    $(PLUGIN_HDRS) plugin/quell_lv2_inline_display.h
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_TEST_CFLAGS) $(CAIRO_CFLAGS) -o $@ $< tests/test_lv2_host.c $(Q_LDFLAGS) $(LILV_LIBS) \
	  $(CAIRO_LIBS) -lpthread -lm

# The model parameter's test also writes fixture blobs (tests/blob_fixture.c, the engine library).
$(BUILD)/tests/test_lv2_model_param: tests/test_lv2_model_param.c tests/test_lv2_host.c tests/test_lv2_host.h \
                                     $(PLUGIN_HDRS) $(TEST_FIXTURE_OBJ) $(DSP_LIB)
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_TEST_CFLAGS) -o $@ $< tests/test_lv2_host.c $(TEST_FIXTURE_OBJ) $(DSP_LIB) \
	  $(Q_LDFLAGS) $(LILV_LIBS) $(DSP_LIBS)
CHECK_PROGS += $(BUILD)/tests/test_lv2_model_param

# docs/img/inline-*.png (shown in docs/hosts.md): test_inline_display's pictures of the mono
# variant, drawn with the shipped weights instead of the fixture's random ones.
DISPLAY_PICTURES := $(foreach s,silence noise speech,inline-mono-$(s)-200x100.png) \
                    inline-mono-speech-100x50.png inline-mono-speech-300x200.png \
                    inline-mono-noise-gated-200x100.png
.PHONY: display-pictures tsan-display
display-pictures: $(BUILD)/tests/test_inline_display fixture-bundle $(QUELL_BLOB)
	rm -rf $(BUILD)/display-pictures
	QUELL_MODEL=$(abspath $(QUELL_BLOB)) QUELL_DISPLAY_PNG_DIR=$(abspath $(BUILD)/display-pictures) \
	  BUILD=$(BUILD) $(BUILD)/tests/test_inline_display
	mkdir -p docs/img
	cd $(BUILD)/display-pictures && cp $(DISPLAY_PICTURES) $(abspath docs/img)/

# ThreadSanitizer over test_inline_display (render on one thread while run() publishes on
# another), plugin and test host built with -fsanitize=thread in $(TSAN_BUILD).
tsan-display:
	$(MAKE) --no-print-directory BUILD=$(or $(TSAN_BUILD),build/tsan) SAN_FLAGS=-fsanitize=thread \
	  fixture-bundle $(or $(TSAN_BUILD),build/tsan)/tests/test_inline_display
	BUILD=$(or $(TSAN_BUILD),build/tsan) TSAN_OPTIONS=halt_on_error=1 \
	  $(or $(TSAN_BUILD),build/tsan)/tests/test_inline_display

# The interposer is preloaded by test_realtime itself (it re-executes with LD_PRELOAD); built
# without sanitizers, whose own allocator would shadow it.
$(BUILD)/tests/rt_interposer.so: tests/rt_interposer.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=c11 -D_GNU_SOURCE -Wall -Wextra -fPIC -shared -o $@ $< -ldl -lpthread

CHECK_PROGS   += $(PLUGIN_TESTS:%=$(BUILD)/tests/%)
CHECK_SCRIPTS += tests/test_lv2_validate.sh tests/test_lv2apply.sh
CHECK_DEPS    += fixture-bundle $(BUILD)/tests/rt_interposer.so $(PLUGIN_TEST_INSTALL)/.stamp

# ttl/ holds a reviewed snapshot of the generated TTL (the bundle is always built from the
# generator, never from these files): TTL changes show up in diffs, and packagers can read the
# metadata without building. tests/test_ttl_snapshot.sh fails when the two drift apart.
ttl-snapshot: $(PLUGIN_TTLGEN)
	$(PLUGIN_TTLGEN) manifest quell.so > ttl/manifest.ttl
	$(PLUGIN_TTLGEN) plugin > ttl/quell.ttl
.PHONY: ttl-snapshot
CHECK_SCRIPTS += tests/test_ttl_snapshot.sh
CHECK_DEPS    += $(PLUGIN_TTLGEN)
