# tests/ — engine unit tests (the lead's); other folders register their own tests.
TEST_CFLAGS = $(CFLAGS) $(Q_CFLAGS) $(DSP_CFLAGS) -Idsp
TEST_FIXTURE_OBJ = $(BUILD)/tests/blob_fixture.o
QUELL_FIXTURE_BLOB = $(BUILD)/tests/quell-fixture-blob

$(BUILD)/tests/%.o: tests/%.c tests/*.h dsp/*.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -c $< -o $@

$(QUELL_FIXTURE_BLOB): $(BUILD)/tests/quell_fixture_blob_main.o $(TEST_FIXTURE_OBJ) $(DSP_LIB)
	$(CC) $(Q_LDFLAGS) -o $@ $^ $(DSP_LIBS)

ENGINE_TESTS := blob engine_reconstruction engine_bad_audio engine_params train_analysis pitch features \
  gain_smoothing engine_model_swap net_lags
ENGINE_TEST_BINS := $(ENGINE_TESTS:%=$(BUILD)/tests/test_%)

$(ENGINE_TEST_BINS): $(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TEST_FIXTURE_OBJ) $(DSP_LIB)
	$(CC) $(Q_LDFLAGS) -o $@ $^ $(DSP_LIBS)

CHECK_PROGS += $(ENGINE_TEST_BINS)
CHECK_DEPS  += $(QUELL_FIXTURE_BLOB)
all: $(QUELL_FIXTURE_BLOB)
