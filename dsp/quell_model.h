/* quell_model.h — the in-memory form of a validated weights blob (internal to dsp/). */
#ifndef QUELL_MODEL_H
#define QUELL_MODEL_H

#include "quell.h"
#include "quell_config.h"

#define QUELL_BLOB_MAGIC "QUELLWB"
/* Format 2 = format 1 with the header's last word holding QuellConfig.feature_flags (it was
 * reserved, 0). Both are read; format 1 blobs run with the features they were trained on.
 * Format 3 = format 2 plus an info section after the tensors (what a blob was made from, e.g.
 * by quell-adapt); readers of formats 1-2 refuse it by its version, cleanly. */
#define QUELL_BLOB_VERSION 3u
#define QUELL_BLOB_INFO_MAGIC "QINF"
#define QUELL_BLOB_INFO_MAX 4096u
#define QUELL_BLOB_MIN_VERSION 1u
#define QUELL_BLOB_HEADER_SIZE 64u
#define QUELL_BLOB_RECORD_HEADER 48u
#define QUELL_BLOB_NAME_LEN 32u
#define QUELL_BLOB_MAX_SIZE (64u << 20)
#define QUELL_MAX_GRU_LAYERS 4
/* Largest frame lag an input tap may have (`input.weight_lag{n}`, n = 1..this; FORMAT.md). */
#define QUELL_MAX_INPUT_LAG 16u

/* A row-major matrix (or a vector with cols == 1) inside the model's storage. */
typedef struct {
  const float *data;
  uint32_t rows, cols;
} QuellTensor;

struct QuellModel {
  QuellConfig cfg;
  uint32_t crc;   /* the blob's trailing CRC-32: the model's name in logs and host state */
  char *info;     /* format 3's info text ("key=value" lines), "" before format 3; owned */
  float *storage; /* owns every tensor's data */
  QuellTensor norm_mean, norm_scale;
  QuellTensor input_weight, input_bias;
  /* input_lag[n]: the dense layer's weights on the normalised features of frame t - n; data is
   * NULL where the blob has no such tap. max_input_lag: the largest n present, 0 for none. */
  QuellTensor input_lag[QUELL_MAX_INPUT_LAG + 1];
  uint32_t max_input_lag;
  QuellTensor gru_weight_ih[QUELL_MAX_GRU_LAYERS], gru_weight_hh[QUELL_MAX_GRU_LAYERS];
  QuellTensor gru_bias_ih[QUELL_MAX_GRU_LAYERS], gru_bias_hh[QUELL_MAX_GRU_LAYERS];
  QuellTensor gain_weight, gain_bias;
  QuellTensor vad_weight, vad_bias;
};

#endif
