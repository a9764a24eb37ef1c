/* quell_blob.c — reads and validates a weights blob (model/FORMAT.md) into a QuellModel.
 * Every read is bounds-checked against the buffer; the input is untrusted (fuzzed). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "quell_crc32.h"
#include "quell_model.h"

static void quell_blob_fail(char *err, size_t err_len, const char *fmt, ...)
{
  if (!err || !err_len) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, err_len, fmt, ap);
  va_end(ap);
}

/* Little-endian decoding independent of the host's byte order. */
static uint32_t quell_blob_u32(const unsigned char *p)
{
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static float quell_blob_f32(const unsigned char *p)
{
  uint32_t u = quell_blob_u32(p);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* The tensors the config requires: name, expected shape, destination. */
typedef struct {
  char name[QUELL_BLOB_NAME_LEN];
  uint32_t rows, cols, ndim;
  QuellTensor *dst;
  int seen;
  int optional; /* lag taps: a blob holds any subset of them */
} QuellBlobSlot;

static int quell_blob_slots(QuellModel *m, QuellBlobSlot *slots)
{
  const QuellConfig *c = &m->cfg;
  const uint32_t F = c->nfeat, I = c->input_hidden, H = c->gru_hidden, B = c->nb_bands;
  const uint32_t C = quell_config_gru_concat(c);
  int n = 0;
#define QUELL_SLOT(nm, r, cl, nd, d)                                                             \
  do {                                                                                           \
    snprintf(slots[n].name, QUELL_BLOB_NAME_LEN, "%s", nm);                                      \
    slots[n].rows = (r);                                                                         \
    slots[n].cols = (cl);                                                                        \
    slots[n].ndim = (nd);                                                                        \
    slots[n].dst = (d);                                                                          \
    slots[n].seen = 0;                                                                           \
    slots[n].optional = 0;                                                                       \
    n++;                                                                                         \
  } while (0)
  QUELL_SLOT("norm.mean", F, 1, 1, &m->norm_mean);
  QUELL_SLOT("norm.scale", F, 1, 1, &m->norm_scale);
  QUELL_SLOT("input.weight", I, F, 2, &m->input_weight);
  QUELL_SLOT("input.bias", I, 1, 1, &m->input_bias);
  for (uint32_t lag = 1; lag <= QUELL_MAX_INPUT_LAG; lag++) {
    char nm[QUELL_BLOB_NAME_LEN];
    snprintf(nm, sizeof nm, "input.weight_lag%u", lag);
    QUELL_SLOT(nm, I, F, 2, &m->input_lag[lag]);
    slots[n - 1].optional = 1;
  }
  for (uint32_t l = 0; l < c->gru_layers; l++) {
    char nm[QUELL_BLOB_NAME_LEN];
    snprintf(nm, sizeof nm, "gru%u.weight_ih", l);
    QUELL_SLOT(nm, 3 * H, l == 0 ? I : H, 2, &m->gru_weight_ih[l]);
    snprintf(nm, sizeof nm, "gru%u.weight_hh", l);
    QUELL_SLOT(nm, 3 * H, H, 2, &m->gru_weight_hh[l]);
    snprintf(nm, sizeof nm, "gru%u.bias_ih", l);
    QUELL_SLOT(nm, 3 * H, 1, 1, &m->gru_bias_ih[l]);
    snprintf(nm, sizeof nm, "gru%u.bias_hh", l);
    QUELL_SLOT(nm, 3 * H, 1, 1, &m->gru_bias_hh[l]);
  }
  QUELL_SLOT("gain.weight", B, C, 2, &m->gain_weight);
  QUELL_SLOT("gain.bias", B, 1, 1, &m->gain_bias);
  QUELL_SLOT("vad.weight", 1, C, 2, &m->vad_weight);
  QUELL_SLOT("vad.bias", 1, 1, 1, &m->vad_bias);
#undef QUELL_SLOT
  return n;
}

#define QUELL_MAX_SLOTS (8 + QUELL_MAX_INPUT_LAG + 4 * QUELL_MAX_GRU_LAYERS)

/* Format 3's info section at *pos: "QINF", u32 length L (at most QUELL_BLOB_INFO_MAX), L bytes
 * of text (no control characters but newline and tab), zeros up to a multiple of 4. Copies the
 * text into m->info and moves *pos past the section; -1 with one line in err on any fault. */
static int quell_blob_info(QuellModel *m, const unsigned char *b, size_t body, size_t *pos,
                           char *err, size_t err_len)
{
  if (body - *pos < 8 || memcmp(b + *pos, QUELL_BLOB_INFO_MAGIC, 4) != 0) {
    quell_blob_fail(err, err_len, "format 3 weights blob lacks its info section");
    return -1;
  }
  const uint32_t len = quell_blob_u32(b + *pos + 4);
  const size_t padded = ((size_t)len + 3u) & ~(size_t)3u;
  if (len > QUELL_BLOB_INFO_MAX || body - *pos - 8 < padded) {
    quell_blob_fail(err, err_len, "weights blob info section of %u bytes does not fit", len);
    return -1;
  }
  const unsigned char *t = b + *pos + 8;
  for (size_t i = 0; i < padded; i++) {
    const int ok = i < len ? (t[i] >= 0x20 || t[i] == '\n' || t[i] == '\t') : t[i] == 0;
    if (!ok) {
      quell_blob_fail(err, err_len, "weights blob info section holds a control byte at %zu", i);
      return -1;
    }
  }
  m->info = malloc((size_t)len + 1);
  if (!m->info) {
    quell_blob_fail(err, err_len, "out of memory loading weights");
    return -1;
  }
  memcpy(m->info, t, len);
  m->info[len] = '\0';
  *pos += 8 + padded;
  return 0;
}

QuellModel *quell_model_load_memory(const void *data, size_t size, char *err, size_t err_len)
{
  const unsigned char *b = data;
  QuellModel *m = NULL;
  QuellBlobSlot slots[QUELL_MAX_SLOTS];
  char cfg_err[160];

  if (!b || size == 0) {
    quell_blob_fail(err, err_len, "weights blob is empty");
    return NULL;
  }
  if (size < QUELL_BLOB_HEADER_SIZE + 4) {
    quell_blob_fail(err, err_len, "weights blob truncated: %zu bytes, header needs %u", size,
                    QUELL_BLOB_HEADER_SIZE + 4);
    return NULL;
  }
  if (size > QUELL_BLOB_MAX_SIZE) {
    quell_blob_fail(err, err_len, "weights blob too large: %zu bytes (max %u)", size,
                    QUELL_BLOB_MAX_SIZE);
    return NULL;
  }
  if (memcmp(b, QUELL_BLOB_MAGIC, 8) != 0) {
    quell_blob_fail(err, err_len, "not a Quell weights blob (bad magic)");
    return NULL;
  }
  const uint32_t version = quell_blob_u32(b + 8);
  if (version < QUELL_BLOB_MIN_VERSION || version > QUELL_BLOB_VERSION) {
    quell_blob_fail(err, err_len, "unsupported format version %u (this build reads %u to %u)",
                    version, QUELL_BLOB_MIN_VERSION, QUELL_BLOB_VERSION);
    return NULL;
  }
  if (quell_blob_u32(b + 12) != QUELL_BLOB_HEADER_SIZE ||
      (version == 1 && quell_blob_u32(b + 60) != 0)) {
    quell_blob_fail(err, err_len, "weights blob header is malformed");
    return NULL;
  }
  const size_t body = size - 4;
  const uint32_t want_crc = quell_blob_u32(b + body);
  const uint32_t got_crc = quell_crc32_update(0, b, body);
  if (want_crc != got_crc) {
    quell_blob_fail(err, err_len, "weights blob checksum mismatch (corrupt or truncated file)");
    return NULL;
  }

  m = calloc(1, sizeof *m);
  if (!m) {
    quell_blob_fail(err, err_len, "out of memory loading weights");
    return NULL;
  }
  m->crc = want_crc;
  QuellConfig *c = &m->cfg;
  c->hop_us = quell_blob_u32(b + 16);
  c->window_hops = quell_blob_u32(b + 20);
  c->nb_bands = quell_blob_u32(b + 24);
  c->band_fmax_hz = quell_blob_f32(b + 28);
  c->band_min_hz = quell_blob_f32(b + 32);
  c->norm_tau_ms = quell_blob_f32(b + 36);
  c->nfeat = quell_blob_u32(b + 40);
  c->input_hidden = quell_blob_u32(b + 44);
  c->gru_layers = quell_blob_u32(b + 48);
  c->gru_hidden = quell_blob_u32(b + 52);
  c->feature_flags = version >= 2 ? quell_blob_u32(b + 60) : 0u;
  if (quell_config_validate(c, cfg_err, sizeof cfg_err) != 0) {
    quell_blob_fail(err, err_len, "weights blob configuration invalid: %s", cfg_err);
    goto fail;
  }

  const int nslots = quell_blob_slots(m, slots);
  const uint32_t count = quell_blob_u32(b + 56);
  int nrequired = 0;
  for (int s = 0; s < nslots; s++) nrequired += !slots[s].optional;
  if (count < (uint32_t)nrequired || count > (uint32_t)nslots) {
    quell_blob_fail(err, err_len, "weights blob has %u tensors, configuration needs %d to %d",
                    count, nrequired, nslots);
    goto fail;
  }
  /* The floats fit in the file, so this bounds the allocation by the (checked) file size. */
  m->storage = malloc(body);
  if (!m->storage) {
    quell_blob_fail(err, err_len, "out of memory loading weights");
    goto fail;
  }
  size_t pos = QUELL_BLOB_HEADER_SIZE, used = 0;
  for (uint32_t t = 0; t < count; t++) {
    if (body - pos < QUELL_BLOB_RECORD_HEADER) {
      quell_blob_fail(err, err_len, "weights blob truncated in tensor record %u", t);
      goto fail;
    }
    const unsigned char *r = b + pos;
    if (memchr(r, 0, QUELL_BLOB_NAME_LEN) == NULL) {
      quell_blob_fail(err, err_len, "tensor record %u has an unterminated name", t);
      goto fail;
    }
    const char *name = (const char *)r;
    const uint32_t ndim = quell_blob_u32(r + 32), rows = quell_blob_u32(r + 36),
                   cols = quell_blob_u32(r + 40), reserved = quell_blob_u32(r + 44);
    QuellBlobSlot *slot = NULL;
    for (int s = 0; s < nslots; s++)
      if (strcmp(slots[s].name, name) == 0) slot = &slots[s];
    if (!slot) {
      /* The name is untrusted: show only printable ASCII so the message stays one line. */
      char shown[QUELL_BLOB_NAME_LEN];
      size_t i = 0;
      for (; i + 1 < sizeof shown && name[i]; i++)
        shown[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
      shown[i] = 0;
      quell_blob_fail(err, err_len, "unknown tensor '%s'", shown);
      goto fail;
    }
    if (slot->seen) {
      quell_blob_fail(err, err_len, "tensor '%s' appears twice", slot->name);
      goto fail;
    }
    if (ndim != slot->ndim || rows != slot->rows || cols != slot->cols || reserved != 0) {
      quell_blob_fail(err, err_len, "tensor '%s' has shape %ux%u (ndim %u), expected %ux%u",
                      slot->name, rows, cols, ndim, slot->rows, slot->cols);
      goto fail;
    }
    pos += QUELL_BLOB_RECORD_HEADER;
    const size_t nvals = (size_t)rows * cols; /* rows, cols <= 3072 by the config checks */
    if ((body - pos) / 4 < nvals) {
      quell_blob_fail(err, err_len, "weights blob truncated in tensor '%s'", slot->name);
      goto fail;
    }
    float *dst = m->storage + used;
    for (size_t i = 0; i < nvals; i++) {
      dst[i] = quell_blob_f32(b + pos + 4 * i);
      if (!isfinite(dst[i])) {
        quell_blob_fail(err, err_len, "tensor '%s' holds a non-finite value", slot->name);
        goto fail;
      }
    }
    slot->dst->data = dst;
    slot->dst->rows = rows;
    slot->dst->cols = cols;
    slot->seen = 1;
    used += nvals;
    pos += 4 * nvals;
  }
  for (int s = 0; s < nslots; s++)
    if (!slots[s].seen && !slots[s].optional) {
      quell_blob_fail(err, err_len, "weights blob lacks tensor '%s'", slots[s].name);
      goto fail;
    }
  for (uint32_t lag = 1; lag <= QUELL_MAX_INPUT_LAG; lag++)
    if (m->input_lag[lag].data) m->max_input_lag = lag;
  if (version >= 3 && quell_blob_info(m, b, body, &pos, err, err_len) != 0) goto fail;
  if (pos != body) {
    quell_blob_fail(err, err_len, "weights blob has %zu unexpected trailing bytes", body - pos);
    goto fail;
  }
  if (!m->info) m->info = calloc(1, 1);
  if (!m->info) {
    quell_blob_fail(err, err_len, "out of memory loading weights");
    goto fail;
  }
  return m;

fail:
  quell_model_free(m);
  return NULL;
}

QuellModel *quell_model_load_file(const char *path, char *err, size_t err_len)
{
  if (!path) {
    quell_blob_fail(err, err_len, "no weights file given");
    return NULL;
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    quell_blob_fail(err, err_len, "cannot open weights '%s': %s", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    quell_blob_fail(err, err_len, "weights '%s' is not a regular file", path);
    fclose(f);
    return NULL;
  }
  unsigned char *buf = NULL;
  size_t size = 0;
  QuellModel *m = NULL;
  if (fseek(f, 0, SEEK_END) != 0) goto io_fail;
  long end = ftell(f);
  if (end < 0) goto io_fail;
  if ((unsigned long)end > QUELL_BLOB_MAX_SIZE) {
    quell_blob_fail(err, err_len, "weights '%s' too large (%ld bytes)", path, end);
    fclose(f);
    return NULL;
  }
  size = (size_t)end;
  if (fseek(f, 0, SEEK_SET) != 0) goto io_fail;
  buf = malloc(size ? size : 1);
  if (!buf) {
    quell_blob_fail(err, err_len, "out of memory reading '%s'", path);
    fclose(f);
    return NULL;
  }
  if (size && fread(buf, 1, size, f) != size) goto io_fail;
  fclose(f);
  char inner[200];
  m = quell_model_load_memory(buf, size, inner, sizeof inner);
  if (!m) quell_blob_fail(err, err_len, "%s: %s", path, inner);
  free(buf);
  return m;

io_fail:
  quell_blob_fail(err, err_len, "cannot read weights '%s': %s", path, strerror(errno));
  free(buf);
  fclose(f);
  return NULL;
}

void quell_model_free(QuellModel *model)
{
  if (!model) return;
  free(model->info);
  free(model->storage);
  free(model);
}

uint32_t quell_model_crc(const QuellModel *model) { return model ? model->crc : 0u; }
const char *quell_model_info(const QuellModel *model) { return model && model->info ? model->info : ""; }

/* From the loader's own slot table, so a tensor added to the format is counted with no second list;
 * optional slots (lag taps) count when the blob had them. quell_blob_slots only writes `slots`. */
size_t quell_model_parameter_count(const QuellModel *model)
{
  if (!model) return 0;
  QuellBlobSlot slots[QUELL_MAX_SLOTS];
  const int nslots = quell_blob_slots((QuellModel *)model, slots);
  size_t n = 0;
  for (int i = 0; i < nslots; i++)
    if (slots[i].dst->data) n += (size_t)slots[i].dst->rows * slots[i].dst->cols;
  return n;
}
