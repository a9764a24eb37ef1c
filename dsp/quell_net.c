/* quell_net.c — GRU inference with CBLAS.
 *
 * Why products are split: Debian's default OpenBLAS (pthread variant) takes a mutex inside
 * sgemv once m*n >= 9216 elements, even single-threaded (ENGINEERING-NOTES.md); a mutex in the
 * audio thread can block behind a host thread. Products of at most QUELL_NET_MAX_GEMV elements
 * stay on OpenBLAS's lock-free path with every variant. tests/test_realtime proves it. */
#include "quell_net.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define QUELL_NET_MAX_GEMV 8192u

struct QuellNet {
  const QuellModel *model;
  uint32_t nfeat, in_hidden, layers, hidden, nb;
  float *x;       /* normalised features */
  float *dense;   /* input layer output */
  float *h;       /* GRU states, layer after layer: the concat that feeds the heads */
  float *gi, *gh; /* 3H gate pre-activations from input and from state */
  /* Lag taps: the normalised features of the last max_lag frames, frame f in slot f % max_lag.
   * Empty (primed = 0) after create and reset: the first frame then fills every slot, so the
   * taps see "no change yet" as training does, not a jump from silence. */
  float *hist;
  uint32_t max_lag, hist_pos;
  int primed;
};

/* y += W x, in row blocks small enough for OpenBLAS's lock-free path. */
static void quell_net_gemv_add(const QuellTensor *W, const float *x, float *y)
{
  const uint32_t rows = W->rows, cols = W->cols;
  uint32_t block = QUELL_NET_MAX_GEMV / cols;
  if (block == 0) block = 1;
  for (uint32_t r = 0; r < rows; r += block) {
    const uint32_t n = rows - r < block ? rows - r : block;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)cols, 1.0f, W->data + (size_t)r * cols,
                (int)cols, x, 1, 1.0f, y + r, 1);
  }
}

/* y = W x + b. */
static void quell_net_affine(const QuellTensor *W, const QuellTensor *b, const float *x, float *y)
{
  memcpy(y, b->data, sizeof(float) * W->rows);
  quell_net_gemv_add(W, x, y);
}

static float quell_net_sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

QuellNet *quell_net_create(const QuellModel *model)
{
  QuellNet *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  const QuellConfig *c = &model->cfg;
  n->model = model;
  n->nfeat = c->nfeat;
  n->in_hidden = c->input_hidden;
  n->layers = c->gru_layers;
  n->hidden = c->gru_hidden;
  n->nb = c->nb_bands;
  n->x = calloc(n->nfeat, sizeof(float));
  n->dense = calloc(n->in_hidden, sizeof(float));
  n->h = calloc((size_t)n->layers * n->hidden, sizeof(float));
  n->gi = calloc(3 * (size_t)n->hidden, sizeof(float));
  n->gh = calloc(3 * (size_t)n->hidden, sizeof(float));
  n->max_lag = model->max_input_lag;
  n->hist = calloc((size_t)(n->max_lag ? n->max_lag : 1) * n->nfeat, sizeof(float));
  if (!n->x || !n->dense || !n->h || !n->gi || !n->gh || !n->hist) {
    quell_net_destroy(n);
    return NULL;
  }
  return n;
}

void quell_net_destroy(QuellNet *n)
{
  if (!n) return;
  free(n->x);
  free(n->dense);
  free(n->h);
  free(n->gi);
  free(n->gh);
  free(n->hist);
  free(n);
}

void quell_net_reset(QuellNet *n)
{
  memset(n->h, 0, sizeof(float) * n->layers * n->hidden);
  n->primed = 0;
  n->hist_pos = 0;
}

void quell_net_step(QuellNet *n, const float *features, float *gains, float *voice_prob)
{
  const QuellModel *m = n->model;
  const uint32_t H = n->hidden;
  for (uint32_t i = 0; i < n->nfeat; i++)
    n->x[i] = (features[i] - m->norm_mean.data[i]) * m->norm_scale.data[i];
  quell_net_affine(&m->input_weight, &m->input_bias, n->x, n->dense);
  if (n->max_lag) {
    const uint32_t L = n->max_lag, F = n->nfeat;
    if (!n->primed) {
      for (uint32_t k = 0; k < L; k++) memcpy(n->hist + (size_t)k * F, n->x, sizeof(float) * F);
      n->primed = 1;
    }
    for (uint32_t lag = 1; lag <= L; lag++)
      if (m->input_lag[lag].data)
        quell_net_gemv_add(&m->input_lag[lag], n->hist + (size_t)((n->hist_pos + L - lag) % L) * F,
                           n->dense);
    /* Slot hist_pos held frame t - L, read above when that tap exists; it now takes frame t. */
    memcpy(n->hist + (size_t)n->hist_pos * F, n->x, sizeof(float) * F);
    n->hist_pos = (n->hist_pos + 1) % L;
  }
  for (uint32_t i = 0; i < n->in_hidden; i++) n->dense[i] = tanhf(n->dense[i]);

  const float *in = n->dense;
  for (uint32_t l = 0; l < n->layers; l++) {
    float *h = n->h + (size_t)l * H;
    quell_net_affine(&m->gru_weight_ih[l], &m->gru_bias_ih[l], in, n->gi);
    quell_net_affine(&m->gru_weight_hh[l], &m->gru_bias_hh[l], h, n->gh);
    for (uint32_t j = 0; j < H; j++) {
      const float r = quell_net_sigmoid(n->gi[j] + n->gh[j]);
      const float z = quell_net_sigmoid(n->gi[H + j] + n->gh[H + j]);
      const float c = tanhf(n->gi[2 * H + j] + r * n->gh[2 * H + j]);
      h[j] = (1.0f - z) * c + z * h[j];
    }
    in = h;
  }

  /* Saturating activations keep the state bounded; this only guards against a broken blob
   * or hardware fault turning one frame into NaN forever. */
  int finite = 1;
  for (uint32_t j = 0; j < n->layers * H; j++) finite &= isfinite(n->h[j]) != 0;
  if (!finite) quell_net_reset(n);

  quell_net_affine(&m->gain_weight, &m->gain_bias, n->h, gains);
  for (uint32_t b = 0; b < n->nb; b++) gains[b] = quell_net_sigmoid(gains[b]);
  float v;
  quell_net_affine(&m->vad_weight, &m->vad_bias, n->h, &v);
  *voice_prob = quell_net_sigmoid(v);
}
