/* quell_engine.c — the streaming engine: input hop buffer, per-hop analysis + network +
 * gain post-processing, overlap-add synthesis, and a latency-aligned dry path for bypass.
 *
 * Timing: after every `hop` input samples one frame is analysed from the last `window` samples.
 * Its synthesis window spans only the frame's last two hops, so it completes the older of those
 * two hops, which is then played during the next hop. With unity gains the output is the input
 * delayed by exactly 2 * hop samples: latency = 2 * hop, whatever the host's block sizes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "quell.h"
#include "quell_analysis.h"
#include "quell_bands.h"
#include "quell_fpu.h"
#include "quell_gain_smoothing.h"
#include "quell_model.h"
#include "quell_net.h"

/* Inputs beyond +-64 (36 dB over full scale) are clamped: the power of larger floats could
 * overflow to Inf in the analysis. */
#define QUELL_INPUT_LIMIT 64.0f
/* Control smoothing (attenuation limit, gate floor) and the bypass crossfade. */
#define QUELL_CONTROL_MS 30.0
#define QUELL_BYPASS_MS 20.0
/* Voice gate: opens within one frame, closes over this time constant. */
#define QUELL_GATE_CLOSE_MS 60.0
/* After this long of digital silence (every sample of the analysis window exactly 0) the model
 * and feature state go back to their instantiate values and stay there, skipping the analysis
 * and the network, until sound returns. Why: a recurrent net fed a constant input drifts towards
 * its own fixed point for as long as the silence lasts, so without this the first seconds after
 * a stopped transport would depend on how long it was stopped; with it they are processed
 * exactly as the start of a training clip (zero state, zeros before the first sample). The
 * output during such silence is 0 either way, and silence then costs almost nothing. */
#define QUELL_SILENCE_RESET_MS 1000.0

/* A model with the network state sized for it: what a live model change swaps in one step. */
struct QuellEngineModel {
  const QuellModel *model;
  QuellModel *owned; /* == model when prepare took it; NULL for the model given to create */
  QuellNet *net;
};

struct QuellEngine {
  const QuellModel *model; /* == slot->model, cached for the audio path */
  QuellEngineModel *slot;
  QuellConfig cfg;         /* the features' configuration: fixed at create, shared by every model */
  QuellAnalysis *analysis;
  QuellNet *net;           /* == slot->net */
  int channels;
  double rate;
  uint32_t hop, window, bins, nb, latency, fill;

  float *in_frame[QUELL_MAX_CHANNELS]; /* last `window` input samples */
  float *ola[QUELL_MAX_CHANNELS];      /* overlap-add accumulator, 2 * hop */
  float *out_hop[QUELL_MAX_CHANNELS];  /* finished output played during this hop */
  float *dry[QUELL_MAX_CHANNELS];      /* dry delay line, `latency` samples */
  fftwf_complex *spec[QUELL_MAX_CHANNELS];
  float *chunk_in;                     /* copy of one chunk of input (any aliasing is safe) */
  uint32_t dry_pos;

  float *features, *gain_raw, *gain_rise, *gain, *bin_gain;
  float *band_gain;   /* last frame's applied band gains (limit and gate included), for displays */
  float *band_hz;     /* band centres in Hz, constant */

  QuellParams target;
  float limit_db;       /* smoothed attenuation limit */
  float gate_floor_db;  /* smoothed gate floor */
  float gate_gain;      /* current gate gain, linear */
  uint32_t gate_hold_left;
  QuellGainSmoothing smoothing;
  float control_coef, gate_close_coef;
  float wet;            /* bypass crossfade position: 1 = processed, 0 = dry */
  float wet_step;
  int params_fresh;     /* next set_params starts the smoothers at its values (no glide) */

  float voice_prob, reduction_db;
  uint32_t silent_frames, silence_reset_frames; /* digital-silence reset, see above */
};

void quell_params_default(QuellParams *p)
{
  p->atten_limit_db = QUELL_DEFAULT_ATTEN_LIMIT_DB;
  p->gate_enabled = 0;
  p->gate_threshold = QUELL_DEFAULT_GATE_THRESHOLD;
  p->gate_hold_ms = QUELL_DEFAULT_GATE_HOLD_MS;
  p->gate_floor_db = QUELL_DEFAULT_GATE_FLOOR_DB;
  p->enabled = 1;
}

int quell_rate_supported(double rate)
{
  return isfinite(rate) && rate >= QUELL_MIN_RATE && rate <= QUELL_MAX_RATE;
}

static float quell_engine_clampf(float v, float lo, float hi)
{
  if (!(v == v)) return lo; /* NaN */
  return v < lo ? lo : v > hi ? hi : v;
}

static void quell_engine_fail(char *err, size_t err_len, const char *msg, double rate)
{
  if (err && err_len) snprintf(err, err_len, msg, rate);
}

QuellEngine *quell_engine_create(const QuellModel *model, double rate, int channels, char *err,
                                 size_t err_len)
{
  if (!model) {
    quell_engine_fail(err, err_len, "no model", 0);
    return NULL;
  }
  if (!quell_rate_supported(rate)) {
    quell_engine_fail(err, err_len,
                      "unsupported sample rate %.0f Hz (Quell runs natively at 16000..192000 Hz)",
                      rate);
    return NULL;
  }
  if (channels < 1 || channels > QUELL_MAX_CHANNELS) {
    quell_engine_fail(err, err_len, "unsupported channel count %.0f", channels);
    return NULL;
  }
  QuellEngine *e = calloc(1, sizeof *e);
  if (!e) goto oom;
  e->model = model;
  e->cfg = model->cfg;
  e->rate = rate;
  e->channels = channels;
  e->analysis = quell_analysis_create(&e->cfg, rate);
  e->slot = calloc(1, sizeof *e->slot);
  if (!e->analysis || !e->slot) goto oom;
  e->slot->model = model;
  e->slot->net = e->net = quell_net_create(model);
  if (!e->net) goto oom;
  e->hop = e->analysis->hop;
  e->window = e->analysis->window;
  e->bins = e->analysis->bins;
  e->nb = model->cfg.nb_bands;
  e->latency = 2 * e->hop;
  for (int c = 0; c < channels; c++) {
    e->in_frame[c] = calloc(e->window, sizeof(float));
    e->ola[c] = calloc(2 * e->hop, sizeof(float));
    e->out_hop[c] = calloc(e->hop, sizeof(float));
    e->dry[c] = calloc(e->latency, sizeof(float));
    e->spec[c] = quell_stft_spectrum_alloc(e->analysis->stft);
    if (!e->in_frame[c] || !e->ola[c] || !e->out_hop[c] || !e->dry[c] || !e->spec[c]) goto oom;
  }
  e->chunk_in = calloc((size_t)channels * e->hop, sizeof(float));
  e->features = calloc(model->cfg.nfeat, sizeof(float));
  e->gain_raw = calloc(e->nb, sizeof(float));
  e->gain_rise = calloc(e->nb, sizeof(float));
  e->gain = calloc(e->nb, sizeof(float));
  e->bin_gain = calloc(e->bins, sizeof(float));
  e->band_gain = calloc(e->nb, sizeof(float));
  e->band_hz = calloc(e->nb, sizeof(float));
  if (!e->chunk_in || !e->features || !e->gain_raw || !e->gain_rise || !e->gain || !e->bin_gain ||
      !e->band_gain || !e->band_hz)
    goto oom;
  {
    double *hz = calloc(e->nb, sizeof(double));
    if (!hz || quell_bands_centres(&model->cfg, hz) != 0) {
      free(hz);
      goto oom;
    }
    for (uint32_t b = 0; b < e->nb; b++) e->band_hz[b] = (float)hz[b];
    free(hz);
  }

  const double hop_s = (double)e->hop / rate;
  e->control_coef = (float)(1.0 - exp(-hop_s / (QUELL_CONTROL_MS * 1e-3)));
  quell_gain_smoothing_init(&e->smoothing, hop_s);
  e->silence_reset_frames = (uint32_t)ceil(QUELL_SILENCE_RESET_MS * 1e-3 / hop_s);
  e->gate_close_coef = (float)(1.0 - exp(-hop_s / (QUELL_GATE_CLOSE_MS * 1e-3)));
  e->wet_step = (float)(1.0 / (QUELL_BYPASS_MS * 1e-3 * rate));
  quell_params_default(&e->target);
  quell_engine_reset(e);
  return e;
oom:
  quell_engine_fail(err, err_len, "out of memory creating the engine", 0);
  quell_engine_destroy(e);
  return NULL;
}

void quell_engine_destroy(QuellEngine *e)
{
  if (!e) return;
  for (int c = 0; c < QUELL_MAX_CHANNELS; c++) {
    free(e->in_frame[c]);
    free(e->ola[c]);
    free(e->out_hop[c]);
    free(e->dry[c]);
    quell_stft_spectrum_free(e->spec[c]);
  }
  free(e->chunk_in);
  free(e->features);
  free(e->gain_raw);
  free(e->gain_rise);
  free(e->gain);
  free(e->bin_gain);
  free(e->band_gain);
  free(e->band_hz);
  quell_engine_model_free(e->slot);
  quell_analysis_destroy(e->analysis);
  free(e);
}

/* Fields that decide what the features are; the network's own sizes may differ across a swap. */
static int quell_engine_same_features(const QuellConfig *a, const QuellConfig *b, char *err,
                                      size_t err_len)
{
#define QUELL_SAME(field, fmt)                                                                   \
  if (a->field != b->field) {                                                                    \
    if (err && err_len)                                                                          \
      snprintf(err, err_len,                                                                     \
               "model computes other features than the running one: " #field " " fmt " (running " \
               fmt ")",                                                                          \
               b->field, a->field);                                                              \
    return 0;                                                                                    \
  }
  QUELL_SAME(hop_us, "%u")
  QUELL_SAME(window_hops, "%u")
  QUELL_SAME(nb_bands, "%u")
  QUELL_SAME(band_fmax_hz, "%g")
  QUELL_SAME(band_min_hz, "%g")
  QUELL_SAME(norm_tau_ms, "%g")
  QUELL_SAME(nfeat, "%u")
  QUELL_SAME(feature_flags, "0x%x")
#undef QUELL_SAME
  return 1;
}

QuellEngineModel *quell_engine_model_prepare(const QuellEngine *e, QuellModel *model, char *err,
                                             size_t err_len)
{
  if (!e || !model) {
    quell_engine_fail(err, err_len, "no model", 0);
    return NULL;
  }
  /* e->cfg, never e->model: the audio thread may be swapping that pointer right now. */
  if (!quell_engine_same_features(&e->cfg, &model->cfg, err, err_len)) return NULL;
  QuellEngineModel *m = calloc(1, sizeof *m);
  if (m) m->net = quell_net_create(model);
  if (!m || !m->net) {
    free(m);
    quell_engine_fail(err, err_len, "out of memory preparing the model", 0);
    return NULL;
  }
  m->model = model;
  m->owned = model;
  return m;
}

QuellEngineModel *quell_engine_model_swap(QuellEngine *e, QuellEngineModel *next)
{
  QuellEngineModel *prev = e->slot;
  if (!next || next == prev) return NULL;
  /* A fresh net has zero state, as the model was trained to start; the old model's state
   * means nothing to the new weights. Gain smoothing carries on, so the change is a glide. */
  quell_net_reset(next->net);
  e->slot = next;
  e->model = next->model;
  e->net = next->net;
  return prev;
}

const QuellModel *quell_engine_model_get(const QuellEngineModel *m) { return m ? m->model : NULL; }

void quell_engine_model_free(QuellEngineModel *m)
{
  if (!m) return;
  quell_net_destroy(m->net);
  quell_model_free(m->owned);
  free(m);
}

const QuellModel *quell_engine_model(const QuellEngine *e) { return e->model; }

uint32_t quell_engine_latency(const QuellEngine *e) { return e->latency; }

/* The estimation state (network, features, gain smoothing, gate) back to its instantiate values:
 * shared by a full reset and the digital-silence reset, which keeps buffers and controls. */
static void quell_engine_reset_estimator(QuellEngine *e)
{
  quell_net_reset(e->net);
  quell_analysis_reset(e->analysis);
  /* Gains start open and fall from there at the release rate: a start (instantiate, sound after a
   * silence reset) plays the first ~50 ms of background fading out, but a word that begins at
   * once, before the cold network is sure of it (a DAW region cut tight to a word, after digital
   * silence, push-to-talk), is not turned down. Starting closed scored DNSMOS OVRL 0.03 higher
   * on dev/mix48 and 0.12 on NOIZEUS's 2-3 s files, and turned such first words down by 3 dB
   * (dev/mix48) to 7 dB (NOIZEUS) more in their first 15 ms (model/smoothing_sweep.py,
   * model/HISTORY.md). */
  for (uint32_t b = 0; b < e->nb; b++) e->gain_rise[b] = e->gain[b] = e->band_gain[b] = 1.0f;
  e->gate_gain = 1.0f;
  e->gate_hold_left = 0;
}

void quell_engine_reset(QuellEngine *e)
{
  for (int c = 0; c < e->channels; c++) {
    memset(e->in_frame[c], 0, sizeof(float) * e->window);
    memset(e->ola[c], 0, sizeof(float) * 2 * e->hop);
    memset(e->out_hop[c], 0, sizeof(float) * e->hop);
    memset(e->dry[c], 0, sizeof(float) * e->latency);
  }
  e->fill = 0;
  e->dry_pos = 0;
  quell_engine_reset_estimator(e);
  e->limit_db = e->target.atten_limit_db;
  e->gate_floor_db = e->target.gate_floor_db;
  e->wet = e->target.enabled ? 1.0f : 0.0f;
  e->voice_prob = 0.0f;
  e->reduction_db = 0.0f;
  e->params_fresh = 1;
  e->silent_frames = 0;
}

/* Tracks digital silence; returns 1 while the engine rests in its instantiate state (the
 * frame is then produced without analysis or network: its output is exactly 0). */
static int quell_engine_silence(QuellEngine *e)
{
  for (int c = 0; c < e->channels; c++) {
    const float *x = e->in_frame[c];
    for (uint32_t i = 0; i < e->window; i++)
      if (x[i] != 0.0f) {
        e->silent_frames = 0;
        return 0;
      }
  }
  if (e->silent_frames < e->silence_reset_frames) {
    e->silent_frames++;
    return 0;
  }
  if (e->silent_frames == e->silence_reset_frames) { /* once per silence */
    quell_engine_reset_estimator(e);
    e->silent_frames++;
  }
  e->voice_prob = 0.0f;
  e->reduction_db = 0.0f;
  return 1;
}

void quell_engine_set_params(QuellEngine *e, const QuellParams *p)
{
  e->target.atten_limit_db = quell_engine_clampf(p->atten_limit_db, 0.0f, 100.0f);
  e->target.gate_enabled = p->gate_enabled != 0;
  e->target.gate_threshold = quell_engine_clampf(p->gate_threshold, 0.0f, 1.0f);
  e->target.gate_hold_ms = quell_engine_clampf(p->gate_hold_ms, 0.0f, 2000.0f);
  e->target.gate_floor_db = quell_engine_clampf(p->gate_floor_db, -80.0f, 0.0f);
  e->target.enabled = p->enabled != 0;
  if (e->params_fresh) {
    /* First values after create/reset: a host that runs before (or without) activate must
     * not hear a glide from the defaults to its settings. */
    e->limit_db = e->target.atten_limit_db;
    e->gate_floor_db = e->target.gate_floor_db;
    e->wet = e->target.enabled ? 1.0f : 0.0f;
    e->params_fresh = 0;
  }
}

float quell_engine_voice_probability(const QuellEngine *e) { return e->voice_prob; }
float quell_engine_reduction_db(const QuellEngine *e) { return e->reduction_db; }
float quell_engine_gate_gain(const QuellEngine *e) { return e->gate_gain; }
uint32_t quell_engine_band_count(const QuellEngine *e) { return e->nb; }

uint32_t quell_engine_band_centres(const QuellEngine *e, float *hz, uint32_t max)
{
  const uint32_t n = e->nb < max ? e->nb : max;
  memcpy(hz, e->band_hz, sizeof(float) * n);
  return n;
}

uint32_t quell_engine_band_gains(const QuellEngine *e, float *gains, uint32_t max)
{
  const uint32_t n = e->nb < max ? e->nb : max;
  memcpy(gains, e->band_gain, sizeof(float) * n);
  return n;
}

/* Voice gate state machine, once per frame: open at once when voice is likely, keep open for
 * the hold time after it was last seen, then glide down to the floor. The floor is never
 * below -80 dB and the glide takes tens of ms, so a late onset is attenuated, never cut. */
static float quell_engine_gate(QuellEngine *e, float voice_prob)
{
  float target = 1.0f;
  if (e->target.gate_enabled) {
    if (voice_prob >= e->target.gate_threshold) {
      e->gate_hold_left = (uint32_t)(e->target.gate_hold_ms * 1e-3 * e->rate / e->hop + 0.5);
    } else if (e->gate_hold_left > 0) {
      e->gate_hold_left--;
    } else {
      target = powf(10.0f, e->gate_floor_db / 20.0f);
    }
  }
  if (target >= e->gate_gain)
    e->gate_gain = target;
  else
    e->gate_gain += e->gate_close_coef * (target - e->gate_gain);
  return e->gate_gain;
}

/* Ends a hop for channel c: the finished part of the overlap-add buffer becomes the output hop,
 * and both buffers move on by one hop. */
static void quell_engine_advance(QuellEngine *e, int c)
{
  quell_stft_ola_advance(e->analysis->stft, e->ola[c], e->out_hop[c]);
  memmove(e->in_frame[c], e->in_frame[c] + e->hop, sizeof(float) * (e->window - e->hop));
}

/* One hop: analyse, estimate gains, post-process, synthesise the next hop of output. */
static void quell_engine_frame(QuellEngine *e)
{
  const uint32_t nb = e->nb;
  if (quell_engine_silence(e)) {
    /* A second of zeros has long flushed the overlap-add buffer (zero spectra synthesise exact
     * zeros), so advancing it alone yields the output hop, 0. */
    for (int c = 0; c < e->channels; c++) quell_engine_advance(e, c);
    return;
  }
  quell_analysis_frame(e->analysis, (const float *const *)e->in_frame, e->channels, e->spec,
                       e->features);
  float vp;
  quell_net_step(e->net, e->features, e->gain_raw, &vp);
  e->voice_prob = vp;

  e->limit_db += e->control_coef * (e->target.atten_limit_db - e->limit_db);
  e->gate_floor_db += e->control_coef * (e->target.gate_floor_db - e->gate_floor_db);
  /* Attenuation limit as a mix with the input (gain floor): 0 dB is exact pass-through; at
   * the top of the range the limit is off. */
  const float floor_gain = e->limit_db >= 99.5f ? 0.0f : powf(10.0f, -e->limit_db / 20.0f);
  const float gate = quell_engine_gate(e, vp);
  quell_gain_smoothing_step(&e->smoothing, e->gain_raw, vp, e->gain_rise, e->gain, nb);
  for (uint32_t b = 0; b < nb; b++)
    e->band_gain[b] = (floor_gain + (1.0f - floor_gain) * e->gain[b]) * gate;
  quell_bands_interpolate(e->analysis->bands, e->band_gain, e->bin_gain);

  /* Reduction meter: energy removed from this frame. */
  double before = 1e-20, after = 1e-20;
  for (uint32_t k = 0; k < e->bins; k++) {
    const float p = e->analysis->power[k];
    before += p;
    after += p * e->bin_gain[k] * e->bin_gain[k];
  }
  e->reduction_db = (float)(10.0 * log10(before / after));

  for (int c = 0; c < e->channels; c++) {
    quell_stft_apply_gain(e->analysis->stft, e->spec[c], e->bin_gain);
    quell_stft_synthesize_add(e->analysis->stft, e->spec[c], e->ola[c]);
    quell_engine_advance(e, c);
  }
}

void quell_engine_process(QuellEngine *e, const float *const *in, float *const *out, uint32_t n)
{
  const QuellFpuState fpu = quell_fpu_enter();
  const float wet_target = e->target.enabled ? 1.0f : 0.0f;
  uint32_t done = 0;
  while (done < n) {
    uint32_t k = e->hop - e->fill;
    if (k > n - done) k = n - done;
    /* Copy (and sanitise) this chunk of every channel before writing any output. */
    for (int c = 0; c < e->channels; c++) {
      float *ci = e->chunk_in + (size_t)c * e->hop;
      for (uint32_t i = 0; i < k; i++) {
        const float x = in[c][done + i];
        ci[i] = isfinite(x) ? quell_engine_clampf(x, -QUELL_INPUT_LIMIT, QUELL_INPUT_LIMIT)
                            : 0.0f;
      }
    }
    for (uint32_t i = 0; i < k; i++) {
      /* Per-sample crossfade so bypass is click-free whatever the block size. */
      if (e->wet != wet_target) {
        e->wet += e->wet < wet_target ? e->wet_step : -e->wet_step;
        if ((wet_target == 1.0f && e->wet > 1.0f) || (wet_target == 0.0f && e->wet < 0.0f))
          e->wet = wet_target;
      }
      const float wet = e->wet;
      for (int c = 0; c < e->channels; c++) {
        const float x = e->chunk_in[(size_t)c * e->hop + i];
        const float dry = e->dry[c][e->dry_pos];
        e->dry[c][e->dry_pos] = x;
        e->in_frame[c][e->window - e->hop + e->fill + i] = x;
        const float y = e->out_hop[c][e->fill + i];
        out[c][done + i] = wet * y + (1.0f - wet) * dry;
      }
      if (++e->dry_pos == e->latency) e->dry_pos = 0;
    }
    e->fill += k;
    done += k;
    if (e->fill == e->hop) {
      quell_engine_frame(e);
      e->fill = 0;
    }
  }
  quell_fpu_leave(fpu);
}
