/* quell_train.c — offline analysis for training and tests. It drives the very functions the
 * engine uses per hop (quell_analysis_frame), so features cannot drift between training and
 * the plugin. */
#include "quell_train.h"

#include <stdlib.h>
#include <string.h>

#include "quell_analysis.h"
#include "quell_model.h"
#include "quell_net.h"

long quell_train_frame_count(const QuellConfig *cfg, double rate, long n)
{
  if (quell_config_validate(cfg, NULL, 0) != 0 || !quell_rate_supported(rate) || n < 0) return -1;
  return n / (long)quell_config_hop_samples(cfg, rate);
}

/* Frame t of a whole-signal analysis: the `win` samples ending at (t+1)*hop, zeros before the
 * start of the signal, as the engine's input buffer holds them. */
static void quell_train_gather_frame(const float *x, long t, long hop, long win, float *frame)
{
  const long first = (t + 1) * hop - win;
  for (long i = 0; i < win; i++) frame[i] = first + i >= 0 ? x[first + i] : 0.0f;
}

long quell_train_analyze(const QuellConfig *cfg, double rate, const float *noisy,
                         const float *clean, long n, float *features, float *noisy_energy,
                         float *clean_energy, long max_frames)
{
  const long frames = quell_train_frame_count(cfg, rate, n);
  if (frames < 0 || !noisy || frames > max_frames) return -1;
  QuellAnalysis *a = quell_analysis_create(cfg, rate);
  const uint32_t nf = cfg->nfeat, nb = cfg->nb_bands;
  float *frame = a ? calloc(a->window, sizeof(float)) : NULL;
  float *clean_frame = a ? calloc(a->window, sizeof(float)) : NULL;
  float *feat = calloc(nf, sizeof(float));
  fftwf_complex *spec = a ? quell_stft_spectrum_alloc(a->stft) : NULL;
  long ret = -1;
  if (!a || !frame || !clean_frame || !feat || !spec) goto done;

  for (long t = 0; t < frames; t++) {
    quell_train_gather_frame(noisy, t, a->hop, a->window, frame);
    const float *frames_ptr[1] = {frame};
    fftwf_complex *specs[1] = {spec};
    quell_analysis_frame(a, frames_ptr, 1, specs, feat);
    if (features) memcpy(features + (size_t)t * nf, feat, sizeof(float) * nf);
    if (noisy_energy) memcpy(noisy_energy + (size_t)t * nb, a->energy, sizeof(float) * nb);
    if (clean && clean_energy) {
      quell_train_gather_frame(clean, t, a->hop, a->window, clean_frame);
      quell_analysis_energy(a, clean_frame, spec, clean_energy + (size_t)t * nb);
    }
  }
  ret = frames;
done:
  quell_stft_spectrum_free(spec);
  free(feat);
  free(frame);
  free(clean_frame);
  quell_analysis_destroy(a);
  return ret;
}

int quell_train_apply_gains(const QuellConfig *cfg, double rate, const float *in, long n,
                            const float *band_gains, float *out)
{
  const long frames = quell_train_frame_count(cfg, rate, n);
  if (frames < 0 || !in || !band_gains || !out) return -1;
  /* Only the engine's STFT and band layout are needed (no features): the same
   * analyse / interpolate / apply / synthesise / advance calls the engine makes per hop. */
  const long hop = (long)quell_config_hop_samples(cfg, rate);
  QuellStft *stft = quell_stft_create((uint32_t)hop, cfg->window_hops);
  const long win = stft ? (long)quell_stft_window(stft) : 0;
  QuellBands *bands = stft ? quell_bands_create(cfg, rate, (uint32_t)win) : NULL;
  float *frame = calloc(win ? win : 1, sizeof(float));
  float *ola = calloc(2 * (size_t)hop, sizeof(float));
  float *out_hop = calloc((size_t)hop, sizeof(float));
  float *bin_gain = stft ? calloc(quell_stft_bins(stft), sizeof(float)) : NULL;
  fftwf_complex *spec = stft ? quell_stft_spectrum_alloc(stft) : NULL;
  int ret = -1;
  if (!stft || !bands || !frame || !ola || !out_hop || !bin_gain || !spec) goto done;

  memset(out, 0, sizeof(float) * (size_t)n);
  for (long t = 0; t < frames; t++) {
    quell_train_gather_frame(in, t, hop, win, frame);
    quell_stft_analyze(stft, frame, spec);
    quell_bands_interpolate(bands, band_gains + (size_t)t * cfg->nb_bands, bin_gain);
    quell_stft_apply_gain(stft, spec, bin_gain);
    quell_stft_synthesize_add(stft, spec, ola);
    quell_stft_ola_advance(stft, ola, out_hop);
    /* The engine plays this hop during the hop after frame t, i.e. from sample (t+1)*hop. */
    const long end = (t + 1) * hop;
    for (long i = 0; i < hop && end + i < n; i++) out[end + i] = out_hop[i];
  }
  ret = 0;
done:
  quell_stft_spectrum_free(spec);
  free(bin_gain);
  free(out_hop);
  free(ola);
  free(frame);
  quell_bands_destroy(bands);
  quell_stft_destroy(stft);
  return ret;
}

int quell_train_band_centres(const QuellConfig *cfg, float *centres_hz)
{
  if (quell_config_validate(cfg, NULL, 0) != 0) return -1;
  double c[128];
  if (quell_bands_centres(cfg, c) != 0) return -1;
  for (uint32_t b = 0; b < cfg->nb_bands; b++) centres_hz[b] = (float)c[b];
  return 0;
}

int quell_train_run_net(const QuellModel *model, const float *features, long frames,
                        float *gains, float *voice_prob)
{
  if (!model || !features || frames < 0) return -1;
  QuellNet *net = quell_net_create(model);
  if (!net) return -1;
  const uint32_t nf = model->cfg.nfeat, nb = model->cfg.nb_bands;
  for (long t = 0; t < frames; t++) {
    float vp;
    quell_net_step(net, features + (size_t)t * nf, gains ? gains + (size_t)t * nb : NULL, &vp);
    if (voice_prob) voice_prob[t] = vp;
  }
  quell_net_destroy(net);
  return 0;
}

void quell_train_model_config(const QuellModel *model, QuellConfig *cfg) { *cfg = model->cfg; }
