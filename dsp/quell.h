/* quell.h — public API of the Quell noise-suppression engine.
 *
 * Plain C11; knows nothing of LV2, LADSPA or JACK. Two objects:
 *   QuellModel  — a validated, immutable weights blob (see model/FORMAT.md). Shareable
 *                 read-only between engines and threads.
 *   QuellEngine — one streaming instance: STFT, features, GRU, gains, bypass. All memory it
 *                 will ever touch is allocated in quell_engine_create().
 *
 * Threads: *_load, *_create, *_destroy, *_free are "instantiation class" (may allocate, may lock;
 * safe to call from several threads at once). quell_engine_process, quell_engine_set_params and
 * the getters are "audio class": no allocation, locks, I/O or syscalls, bounded time.
 */
#ifndef QUELL_H
#define QUELL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Public symbols are visible from libquell_dsp.so; the plugins hide them with a version script. */
#if defined(__GNUC__)
#define QUELL_API __attribute__((visibility("default")))
#else
#define QUELL_API
#endif

#define QUELL_MIN_RATE 16000.0
#define QUELL_MAX_RATE 192000.0
#define QUELL_MAX_CHANNELS 8

typedef struct QuellModel QuellModel;
typedef struct QuellEngine QuellEngine;

/* User controls. Values outside the documented ranges are clamped by the engine. */
typedef struct {
  float atten_limit_db; /* 0..100: most reduction applied; 0 = pass-through, 100 = unlimited */
  int gate_enabled;     /* voice gate on/off */
  float gate_threshold; /* 0..1: voice probability under which the gate starts to close */
  float gate_hold_ms;   /* 0..2000: how long the probability must stay low before closing */
  float gate_floor_db;  /* -80..0: level of non-voice passages when the gate is closed */
  int enabled;          /* 0: bypass (crossfade to the latency-aligned dry signal) */
} QuellParams;

/* Defaults (also the TTL defaults; plugin/quell_ports.h reads them from here). */
/* 50 dB, not 30 (until 2026-12-07): on dev/wild48's street noises the 30 dB floor was what kept
 * DNSMOS BAK under RNNoise's (which has no limit), for 0.004 of STOI (model/HISTORY.md). */
#define QUELL_DEFAULT_ATTEN_LIMIT_DB 50.0f
#define QUELL_DEFAULT_GATE_THRESHOLD 0.5f
#define QUELL_DEFAULT_GATE_HOLD_MS 300.0f
#define QUELL_DEFAULT_GATE_FLOOR_DB -24.0f

/* Fills p with the defaults above (enabled, gate off). */
QUELL_API void quell_params_default(QuellParams *p);

/* Loads and validates a weights blob from a file / memory. On failure returns NULL and writes
 * one human-readable line (no newline) into err. Never reads out of bounds of the input. */
QUELL_API QuellModel *quell_model_load_file(const char *path, char *err, size_t err_len);
QUELL_API QuellModel *quell_model_load_memory(const void *data, size_t size, char *err, size_t err_len);
QUELL_API void quell_model_free(QuellModel *model);
/* CRC-32 of the blob the model was read from (its last four bytes): how logs, hosts and saved
 * state name a model. */
QUELL_API uint32_t quell_model_crc(const QuellModel *model);
/* The blob's info text (format 3, model/FORMAT.md): "key=value" lines such as adapted_from=
 * (the base model's CRC), noise_seconds=, date=; "" when the blob has none. Never NULL. */
QUELL_API const char *quell_model_info(const QuellModel *model);
/* How many weights the model holds (every tensor: normalisation, dense layer and its lag taps,
 * GRUs, heads): what benchmarks and cards quote as its size. 0 for NULL. */
QUELL_API size_t quell_model_parameter_count(const QuellModel *model);

/* True if the engine can run natively at this rate (16 kHz..192 kHz). */
QUELL_API int quell_rate_supported(double rate);

/* Creates an engine for `channels` channels (1..QUELL_MAX_CHANNELS) at `rate`. The model must
 * outlive the engine (the engine never frees it, even after a swap). Channels share one gain estimate (linked), so the image never wanders.
 * Returns NULL with one line in err on failure (unsupported rate, channels, out of memory). */
QUELL_API QuellEngine *quell_engine_create(const QuellModel *model, double rate, int channels, char *err,
                                 size_t err_len);
QUELL_API void quell_engine_destroy(QuellEngine *engine);

/* Constant processing delay in samples for this instance (2 hops; 480 at 48 kHz). */
QUELL_API uint32_t quell_engine_latency(const QuellEngine *engine);

/* Clears all signal state (as after create). Audio class. */
QUELL_API void quell_engine_reset(QuellEngine *engine);

/* Sets control targets; changes are smoothed inside process. Audio class. */
QUELL_API void quell_engine_set_params(QuellEngine *engine, const QuellParams *params);

/* Processes n frames of `channels` channels. in[c] and out[c] may alias each other in any way
 * (in place, or channels swapped). n may be 0 or any size. Non-finite input is treated as
 * silence; denormals are flushed for the duration of the call. Audio class. */
QUELL_API void quell_engine_process(QuellEngine *engine, const float *const *in, float *const *out,
                          uint32_t n);

/* A model made ready to replace an engine's model while it runs (a file chosen in the plugin's
 * `model` parameter): it holds the model and the network state sized for it, so the audio
 * thread only swaps a pointer. Prepare and free are instantiation class (call them on a worker
 * thread); swap is audio class. */
typedef struct QuellEngineModel QuellEngineModel;

/* Checks that `model` computes the same features as the engine's (hop, window, bands, feature
 * count and flags: the analysis state is shared across a swap) and builds its network state.
 * The network's size may differ. On success the result owns `model`; on failure returns NULL
 * with one line in err and the caller keeps `model`. Safe while the engine runs on another
 * thread: it reads only what never changes after create. */
QUELL_API QuellEngineModel *quell_engine_model_prepare(const QuellEngine *engine, QuellModel *model,
                                                        char *err, size_t err_len);
/* Makes `next` the engine's model from the next frame on (the recurrent state starts from zero,
 * as after a reset; features, gain smoothing and the signal path carry on) and returns the one
 * it replaces, for the caller to free off the audio thread. Audio class. */
QUELL_API QuellEngineModel *quell_engine_model_swap(QuellEngine *engine, QuellEngineModel *next);
/* The model a prepared (or swapped-out) object holds. */
QUELL_API const QuellModel *quell_engine_model_get(const QuellEngineModel *m);
/* Frees the network state, and the model if prepare took it (not the one given to create). */
QUELL_API void quell_engine_model_free(QuellEngineModel *m);
/* The model the engine runs now. Audio class. */
QUELL_API const QuellModel *quell_engine_model(const QuellEngine *engine);

/* Most recent voice probability (0..1) from the model. */
QUELL_API float quell_engine_voice_probability(const QuellEngine *engine);
/* Most recent reduction in dB (>= 0): energy removed from the last frame, including the gate. */
QUELL_API float quell_engine_reduction_db(const QuellEngine *engine);

/* For displays (plugin/quell_inline_display.c, meters). The gain bands lie on an ERB-like scale
 * fixed in Hz by the model; bands above the Nyquist frequency exist but only ever see silence. */
/* Number of gain bands (the model's nb_bands, at most 128). */
QUELL_API uint32_t quell_engine_band_count(const QuellEngine *engine);
/* Copies up to max band centre frequencies (Hz, ascending); returns how many. Constant. */
QUELL_API uint32_t quell_engine_band_centres(const QuellEngine *engine, float *hz, uint32_t max);
/* Copies up to max of the gains (linear, 0..1) applied to each band in the last frame, attenuation
 * limit and voice gate included (1 after a reset and in digital silence); returns how many.
 * Audio class. */
QUELL_API uint32_t quell_engine_band_gains(const QuellEngine *engine, float *gains, uint32_t max);
/* Current voice-gate gain (linear): 1 while open or off, down to the floor while closed. */
QUELL_API float quell_engine_gate_gain(const QuellEngine *engine);

#ifdef __cplusplus
}
#endif
#endif
