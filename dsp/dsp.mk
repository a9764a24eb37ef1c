# dsp/ — the engine library. No plugin-API headers here.
DSP_SRCS := $(wildcard dsp/*.c)
DSP_OBJS := $(DSP_SRCS:dsp/%.c=$(BUILD)/dsp/%.o)
DSP_LIB  := $(BUILD)/libquell_dsp.a
DSP_SO   := $(BUILD)/libquell_dsp.so

$(BUILD)/dsp/%.o: dsp/%.c dsp/*.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(Q_CFLAGS) $(DSP_CFLAGS) -c $< -o $@

$(DSP_LIB): $(DSP_OBJS)
	@rm -f $@
	ar rcs $@ $^

# Shared library for training (model/quell_dsp.py loads it with ctypes) and tests.
$(DSP_SO): $(DSP_OBJS)
	$(CC) -shared $(Q_LDFLAGS) -o $@ $^ $(DSP_LIBS)

all: $(DSP_LIB) $(DSP_SO)
