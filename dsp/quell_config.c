/* quell_config.c — defaults, validation and derived sizes of the model/feature configuration. */
#include "quell_config.h"

#include <math.h>
#include <stdio.h>

void quell_config_default(QuellConfig *cfg)
{
  cfg->hop_us = 5000;        /* 5 ms hop -> 10 ms latency (two hops) */
  cfg->window_hops = 4;      /* 20 ms analysis context, 50 Hz bins at every rate */
  cfg->nb_bands = 32;        /* as RNNoise 2024 and DeepFilterNet use for full band */
  cfg->band_fmax_hz = 20000.0f;
  cfg->band_min_hz = 100.0f; /* two 50 Hz bins: narrower bands would be one bin or less */
  cfg->norm_tau_ms = 1000.0f;
  cfg->nfeat = 3 * cfg->nb_bands; /* energies, normalised energies, pitch correlation */
  cfg->input_hidden = 128;
  cfg->gru_layers = 2;
  cfg->gru_hidden = 128;
  cfg->feature_flags = QUELL_FEATURE_MEAN_WARMUP;
}

int quell_config_validate(const QuellConfig *cfg, char *err, unsigned long err_len)
{
#define QUELL_CHECK(cond, ...)                                                                   \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      if (err && err_len) snprintf(err, err_len, __VA_ARGS__);                                   \
      return -1;                                                                                 \
    }                                                                                            \
  } while (0)
  QUELL_CHECK((cfg->feature_flags & ~QUELL_FEATURE_KNOWN) == 0u, "unknown feature flags 0x%x",
              cfg->feature_flags & ~QUELL_FEATURE_KNOWN);
  QUELL_CHECK(cfg->hop_us >= 2000 && cfg->hop_us <= 10000, "hop_us %u outside 2000..10000",
              cfg->hop_us);
  QUELL_CHECK(cfg->window_hops >= 2 && cfg->window_hops <= 8, "window_hops %u outside 2..8",
              cfg->window_hops);
  QUELL_CHECK(cfg->nb_bands >= 4 && cfg->nb_bands <= 128, "nb_bands %u outside 4..128",
              cfg->nb_bands);
  QUELL_CHECK(isfinite(cfg->band_fmax_hz) && cfg->band_fmax_hz >= 4000.0f &&
                  cfg->band_fmax_hz <= 24000.0f,
              "band_fmax_hz %g outside 4000..24000", (double)cfg->band_fmax_hz);
  QUELL_CHECK(isfinite(cfg->band_min_hz) && cfg->band_min_hz >= 25.0f &&
                  cfg->band_min_hz <= 1000.0f,
              "band_min_hz %g outside 25..1000", (double)cfg->band_min_hz);
  /* Every band needs room below fmax, or the layout degenerates. */
  QUELL_CHECK((double)cfg->band_min_hz * (cfg->nb_bands - 1) < (double)cfg->band_fmax_hz,
              "%u bands at least %g Hz apart do not fit below %g Hz", cfg->nb_bands,
              (double)cfg->band_min_hz, (double)cfg->band_fmax_hz);
  QUELL_CHECK(isfinite(cfg->norm_tau_ms) && cfg->norm_tau_ms >= 10.0f &&
                  cfg->norm_tau_ms <= 60000.0f,
              "norm_tau_ms %g outside 10..60000", (double)cfg->norm_tau_ms);
  /* 2 * nb: band energies and their normalised copy; 3 * nb: plus per-band pitch correlation. */
  QUELL_CHECK(cfg->nfeat == 2 * cfg->nb_bands || cfg->nfeat == 3 * cfg->nb_bands,
              "nfeat %u is neither 2 * nb_bands (%u) nor 3 * nb_bands (%u)", cfg->nfeat,
              2 * cfg->nb_bands, 3 * cfg->nb_bands);
  QUELL_CHECK(cfg->input_hidden >= 1 && cfg->input_hidden <= 1024,
              "input_hidden %u outside 1..1024", cfg->input_hidden);
  QUELL_CHECK(cfg->gru_layers >= 1 && cfg->gru_layers <= 4, "gru_layers %u outside 1..4",
              cfg->gru_layers);
  QUELL_CHECK(cfg->gru_hidden >= 1 && cfg->gru_hidden <= 1024, "gru_hidden %u outside 1..1024",
              cfg->gru_hidden);
#undef QUELL_CHECK
  return 0;
}

uint32_t quell_config_hop_samples(const QuellConfig *cfg, double rate)
{
  return (uint32_t)floor(rate * cfg->hop_us / 1e6 + 0.5);
}

uint32_t quell_config_gru_concat(const QuellConfig *cfg)
{
  return cfg->gru_layers * cfg->gru_hidden;
}
