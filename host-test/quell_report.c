/* quell_report.c — see quell_report.h. Spectra: Hann-windowed FFTs of about 21 ms (a power of
 * two of samples), half overlapping, power summed per picture column; columns are merged in pairs
 * whenever more than QUELL_REPORT_MAX_COLS would be needed, so a one-hour file costs the same
 * memory as a minute. Drawing: cairo (image panels scaled onto the page, lines, toy-API text). */
#include "quell_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cairo-svg.h>
#include <cairo.h>
#include <fftw3.h>
#include <fontconfig/fontconfig.h>

#define QUELL_REPORT_MAX_COLS 1024
/* Bands of the reduction panel: equally spaced on the ERB-rate scale, as the plugin's are. */
#define QUELL_REPORT_BANDS 40
#define QUELL_REPORT_FMIN 50.0
/* Reduction shown from 0 to this many dB (the inline display's scale). */
#define QUELL_REPORT_TOP_DB 30.0
/* The spectrograms show this many dB below the loudest input bin. */
#define QUELL_REPORT_RANGE_DB 80.0
/* Page layout, in pixels (PNG) or points (SVG). */
#define QR_W 1000.0
#define QR_LEFT 58.0
#define QR_RIGHT 14.0
#define QR_TOP 30.0
#define QR_GAP 8.0
#define QR_SPEC_H 150.0
#define QR_RED_H 110.0
#define QR_VOICE_H 60.0
#define QR_BOTTOM 30.0

typedef struct {
  float *buf;       /* the last n samples (mono) */
  size_t fill;
  int64_t frames;   /* STFT frames done */
  float *power;     /* QUELL_REPORT_MAX_COLS x bins, summed */
  uint32_t *count;  /* STFT frames per column */
} QuellReportStream;

struct QuellReport {
  double rate;
  int n, bins, hop;
  float *window, *fft_in;
  fftwf_complex *fft_out;
  fftwf_plan plan;
  float norm; /* power of a full-scale sine's bin: 0 dBFS */
  int64_t per_col; /* STFT frames per column (a power of two) */
  QuellReportStream s[2]; /* 0 input, 1 output */
  float *voice_sum;
  uint32_t *voice_n;
};

int quell_report_path_ok(const char *path) {
  const char *dot = strrchr(path, '.');
  return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".svg"));
}

QuellReport *quell_report_new(double rate, char *err, size_t err_len) {
  QuellReport *r = calloc(1, sizeof *r);
  if (!r) goto oom;
  r->rate = rate;
  r->n = 1 << (int)lrint(log2(rate * 0.0213)); /* 1024 at 44.1/48 kHz, 512 at 16..24 kHz */
  r->bins = r->n / 2 + 1;
  r->hop = r->n / 2;
  r->per_col = 1;
  r->window = fftwf_alloc_real((size_t)r->n);
  r->fft_in = fftwf_alloc_real((size_t)r->n);
  r->fft_out = fftwf_alloc_complex((size_t)r->bins);
  r->voice_sum = calloc(QUELL_REPORT_MAX_COLS, sizeof(float));
  r->voice_n = calloc(QUELL_REPORT_MAX_COLS, sizeof(uint32_t));
  if (!r->window || !r->fft_in || !r->fft_out || !r->voice_sum || !r->voice_n) goto oom;
  for (int k = 0; k < 2; k++) {
    r->s[k].buf = calloc((size_t)r->n, sizeof(float));
    r->s[k].power = calloc((size_t)QUELL_REPORT_MAX_COLS * (size_t)r->bins, sizeof(float));
    r->s[k].count = calloc(QUELL_REPORT_MAX_COLS, sizeof(uint32_t));
    if (!r->s[k].buf || !r->s[k].power || !r->s[k].count) goto oom;
  }
  double wsum = 0.0;
  for (int i = 0; i < r->n; i++) {
    r->window[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / r->n));
    wsum += r->window[i];
  }
  r->norm = (float)(wsum * wsum / 4.0);
  r->plan = fftwf_plan_dft_r2c_1d(r->n, r->fft_in, r->fft_out, FFTW_ESTIMATE);
  if (!r->plan) goto oom;
  return r;
oom:
  snprintf(err, err_len, "report: out of memory");
  quell_report_free(r);
  return NULL;
}

void quell_report_free(QuellReport *r) {
  if (!r) return;
  if (r->plan) fftwf_destroy_plan(r->plan);
  fftwf_free(r->window);
  fftwf_free(r->fft_in);
  fftwf_free(r->fft_out);
  for (int k = 0; k < 2; k++) {
    free(r->s[k].buf);
    free(r->s[k].power);
    free(r->s[k].count);
  }
  free(r->voice_sum);
  free(r->voice_n);
  free(r);
}

/* Column of STFT frame k, merging columns in pairs (both streams and the voice track, so they
 * stay aligned) until it fits. */
static int64_t quell_report_column(QuellReport *r, int64_t k) {
  while (k / r->per_col >= QUELL_REPORT_MAX_COLS) {
    const size_t bins = (size_t)r->bins;
    for (int s = 0; s < 2; s++) {
      QuellReportStream *st = &r->s[s];
      for (size_t c = 0; c < QUELL_REPORT_MAX_COLS / 2; c++) {
        float *dst = st->power + c * bins;
        const float *a = st->power + 2 * c * bins, *b = a + bins;
        for (size_t i = 0; i < bins; i++) dst[i] = a[i] + b[i];
        st->count[c] = st->count[2 * c] + st->count[2 * c + 1];
      }
      memset(st->power + QUELL_REPORT_MAX_COLS / 2 * bins, 0,
             QUELL_REPORT_MAX_COLS / 2 * bins * sizeof(float));
      memset(st->count + QUELL_REPORT_MAX_COLS / 2, 0, QUELL_REPORT_MAX_COLS / 2 * sizeof(uint32_t));
    }
    for (size_t c = 0; c < QUELL_REPORT_MAX_COLS / 2; c++) {
      r->voice_sum[c] = r->voice_sum[2 * c] + r->voice_sum[2 * c + 1];
      r->voice_n[c] = r->voice_n[2 * c] + r->voice_n[2 * c + 1];
    }
    memset(r->voice_sum + QUELL_REPORT_MAX_COLS / 2, 0, QUELL_REPORT_MAX_COLS / 2 * sizeof(float));
    memset(r->voice_n + QUELL_REPORT_MAX_COLS / 2, 0, QUELL_REPORT_MAX_COLS / 2 * sizeof(uint32_t));
    r->per_col *= 2;
  }
  return k / r->per_col;
}

static int quell_report_push(QuellReport *r, int which, const float *frames, size_t n,
                             int channels) {
  QuellReportStream *st = &r->s[which];
  for (size_t t = 0; t < n; t++) {
    float x = 0.0f;
    for (int c = 0; c < channels; c++) x += frames[t * (size_t)channels + (size_t)c];
    st->buf[st->fill++] = isfinite(x) ? x / (float)channels : 0.0f;
    if (st->fill < (size_t)r->n) continue;
    for (int i = 0; i < r->n; i++) r->fft_in[i] = st->buf[i] * r->window[i];
    fftwf_execute(r->plan);
    const int64_t col = quell_report_column(r, st->frames++);
    float *p = st->power + (size_t)col * (size_t)r->bins;
    for (int b = 0; b < r->bins; b++)
      p[b] += r->fft_out[b][0] * r->fft_out[b][0] + r->fft_out[b][1] * r->fft_out[b][1];
    st->count[col]++;
    memmove(st->buf, st->buf + r->hop, sizeof(float) * (size_t)(r->n - r->hop));
    st->fill = (size_t)(r->n - r->hop);
  }
  return 0;
}

int quell_report_push_input(QuellReport *r, const float *frames, size_t n, int channels) {
  return quell_report_push(r, 0, frames, n, channels);
}

int quell_report_push_output(QuellReport *r, const float *frames, size_t n, int channels) {
  return quell_report_push(r, 1, frames, n, channels);
}

void quell_report_voice(QuellReport *r, int64_t frame, float prob) {
  if (frame < 0 || !isfinite(prob)) return;
  const int64_t col = quell_report_column(r, frame / r->hop);
  r->voice_sum[col] += prob;
  r->voice_n[col]++;
}

/* --- drawing --------------------------------------------------------------------------------- */

/* The ERB-rate scale (Glasberg & Moore 1990), as dsp/quell_bands.c spaces the engine's bands.
 * Written out here, not shared: quell-process is a host that loads the built plugin and links
 * no engine code, so what it measures is the plugin a DAW would load. */
static double quell_report_erb(double hz) { return 21.4 * log10(1.0 + 0.00437 * hz); }
static double quell_report_erb_inv(double erb) { return (pow(10.0, erb / 21.4) - 1.0) / 0.00437; }

/* Interpolated colour map of n stops (r, g, b) at v in 0..1, as a cairo ARGB32 pixel. */
static uint32_t quell_report_colour(const float (*stops)[3], int n, double v) {
  v = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
  const double x = v * (n - 1);
  const int i = x >= n - 1 ? n - 2 : (int)x;
  const double f = x - i;
  uint32_t px = 0xff000000u;
  for (int c = 0; c < 3; c++) {
    const double ch = stops[i][c] + f * (stops[i + 1][c] - stops[i][c]);
    px |= (uint32_t)lrint(ch * 255.0) << (16 - 8 * c);
  }
  return px;
}

static const float quell_report_spec_map[][3] = {
    {0.00f, 0.00f, 0.02f}, {0.23f, 0.06f, 0.43f}, {0.72f, 0.21f, 0.47f},
    {0.99f, 0.53f, 0.38f}, {0.99f, 0.99f, 0.75f}};
/* Dark to the inline display's orange to pale yellow at full scale. */
static const float quell_report_red_map[][3] = {
    {0.08f, 0.08f, 0.09f}, {0.55f, 0.28f, 0.10f}, {0.95f, 0.52f, 0.18f}, {1.00f, 0.92f, 0.60f}};

/* Paints an image of cols x rows pixels into the rectangle (x, y, w, h). */
static void quell_report_paint_image(cairo_t *cr, cairo_surface_t *img, double x, double y,
                                     double w, double h) {
  const int cols = cairo_image_surface_get_width(img), rows = cairo_image_surface_get_height(img);
  cairo_save(cr);
  cairo_rectangle(cr, x, y, w, h);
  cairo_clip(cr);
  cairo_translate(cr, x, y);
  cairo_scale(cr, w / cols, h / rows);
  cairo_set_source_surface(cr, img, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
  cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
  cairo_paint(cr);
  cairo_restore(cr);
}

static void quell_report_text(cairo_t *cr, double x, double y, const char *text, int right) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, text, &e);
  cairo_move_to(cr, right ? x - e.x_advance : x, y);
  cairo_show_text(cr, text);
}

/* A panel's name at (x, y) on a dark plate, readable over any colour; r, g, b: the text's. */
static void quell_report_label(cairo_t *cr, double x, double y, const char *text, double r,
                               double g, double b) {
  cairo_text_extents_t e;
  cairo_set_font_size(cr, 11.0);
  cairo_text_extents(cr, text, &e);
  cairo_set_source_rgba(cr, 0.0, 0.0, 0.0, 0.65);
  cairo_rectangle(cr, x - 4, y - 11, e.x_advance + 8, 15);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, r, g, b);
  quell_report_text(cr, x, y, text, 0);
}

/* y of frequency hz in a panel from y0 (top, Nyquist) to y0 + h (QUELL_REPORT_FMIN). */
static double quell_report_freq_y(const QuellReport *r, double hz, double y0, double h) {
  const double lo = quell_report_erb(QUELL_REPORT_FMIN), hi = quell_report_erb(r->rate / 2);
  return y0 + h * (1.0 - (quell_report_erb(hz) - lo) / (hi - lo));
}

static void quell_report_freq_axis(cairo_t *cr, const QuellReport *r, double y0, double h) {
  static const struct {
    double hz;
    const char *label;
  } ticks[] = {{100, "100"}, {300, "300"}, {1000, "1k"}, {3000, "3k"}, {10000, "10k"}};
  cairo_set_font_size(cr, 10.0);
  for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++) {
    if (ticks[i].hz >= r->rate / 2) continue;
    const double y = quell_report_freq_y(r, ticks[i].hz, y0, h);
    cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
    quell_report_text(cr, QR_LEFT - 8, y + 3.5, ticks[i].label, 1);
    cairo_move_to(cr, QR_LEFT - 5, floor(y) + 0.5);
    cairo_line_to(cr, QR_LEFT, floor(y) + 0.5);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
  }
}

/* One spectrogram panel (stream s) as an image of cols x rows. */
static cairo_surface_t *quell_report_spectrogram(const QuellReport *r, int s, int cols, int rows,
                                                 double top_db) {
  cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, cols, rows);
  if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) return img;
  cairo_surface_flush(img);
  unsigned char *data = cairo_image_surface_get_data(img);
  const int stride = cairo_image_surface_get_stride(img);
  const double lo = quell_report_erb(QUELL_REPORT_FMIN), hi = quell_report_erb(r->rate / 2);
  const double bin_hz = r->rate / r->n;
  for (int y = 0; y < rows; y++) {
    const double hz = quell_report_erb_inv(hi - (hi - lo) * (y + 0.5) / rows);
    const double fb = hz / bin_hz;
    const int b0 = (int)fb < r->bins - 1 ? (int)fb : r->bins - 2;
    const double f = fb - b0;
    uint32_t *row = (uint32_t *)(data + (size_t)y * (size_t)stride);
    for (int c = 0; c < cols; c++) {
      const float *p = r->s[s].power + (size_t)c * (size_t)r->bins;
      const uint32_t n = r->s[s].count[c] ? r->s[s].count[c] : 1;
      const double pw = ((1.0 - f) * p[b0] + f * p[b0 + 1]) / n / r->norm;
      const double db = 10.0 * log10(pw + 1e-20);
      row[c] = quell_report_colour(quell_report_spec_map, 5,
                                   (db - (top_db - QUELL_REPORT_RANGE_DB)) / QUELL_REPORT_RANGE_DB);
    }
  }
  cairo_surface_mark_dirty(img);
  return img;
}

/* Energy of stream s in band [lo_hz, hi_hz) of column c (at least the bin nearest the middle). */
static double quell_report_band(const QuellReport *r, int s, int c, double lo_hz, double hi_hz) {
  const double bin_hz = r->rate / r->n;
  int b0 = (int)ceil(lo_hz / bin_hz), b1 = (int)ceil(hi_hz / bin_hz);
  if (b1 > r->bins) b1 = r->bins;
  if (b1 <= b0) {
    b0 = (int)lrint(0.5 * (lo_hz + hi_hz) / bin_hz);
    if (b0 >= r->bins) b0 = r->bins - 1;
    b1 = b0 + 1;
  }
  const float *p = r->s[s].power + (size_t)c * (size_t)r->bins;
  double e = 0.0;
  for (int b = b0; b < b1; b++) e += p[b];
  return e;
}

int quell_report_write(QuellReport *r, const char *path, const char *title, char *err,
                       size_t err_len) {
  const int64_t frames = r->s[1].frames < r->s[0].frames ? r->s[1].frames : r->s[0].frames;
  const int cols = (int)((frames + r->per_col - 1) / r->per_col);
  if (cols < 1) {
    snprintf(err, err_len, "%s: the file is too short for a report (under %.0f ms)", path,
             1000.0 * r->n / r->rate);
    return -1;
  }
  const double H = QR_TOP + 2 * QR_SPEC_H + QR_RED_H + QR_VOICE_H + 3 * QR_GAP + QR_BOTTOM;
  const double pw = QR_W - QR_LEFT - QR_RIGHT;
  const double seconds = (double)(frames * r->hop + r->n - r->hop) / r->rate;
  const int svg = !strcasecmp(strrchr(path, '.'), ".svg");
  cairo_surface_t *page = svg ? cairo_svg_surface_create(path, QR_W, H)
                              : cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)QR_W, (int)H);
  cairo_t *cr = cairo_create(page);
  cairo_set_source_rgb(cr, 0.08, 0.08, 0.09);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);

  /* Loudest input bin sets the spectrograms' scale: both panels share it. */
  double top_db = -200.0;
  for (int c = 0; c < cols; c++) {
    const uint32_t n = r->s[0].count[c] ? r->s[0].count[c] : 1;
    for (int b = 0; b < r->bins; b++) {
      const double db = 10.0 * log10(r->s[0].power[(size_t)c * (size_t)r->bins + (size_t)b] / n /
                                         r->norm + 1e-20);
      if (db > top_db) top_db = db;
    }
  }
  top_db = ceil(top_db / 10.0) * 10.0;

  double y = QR_TOP;
  const char *names[2] = {"input", "output (Quell)"};
  for (int s = 0; s < 2; s++) {
    cairo_surface_t *img = quell_report_spectrogram(r, s, cols, (int)QR_SPEC_H, top_db);
    if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS)
      quell_report_paint_image(cr, img, QR_LEFT, y, pw, QR_SPEC_H);
    cairo_surface_destroy(img);
    quell_report_freq_axis(cr, r, y, QR_SPEC_H);
    quell_report_label(cr, QR_LEFT + 6, y + 14, names[s], 1, 1, 1);
    y += QR_SPEC_H + QR_GAP;
  }

  /* Reduction per band: 10 log10(in / out), bands equally spaced in ERB rate. */
  cairo_surface_t *red = cairo_image_surface_create(CAIRO_FORMAT_RGB24, cols, QUELL_REPORT_BANDS);
  double *total = calloc((size_t)cols, sizeof(double));
  if (cairo_surface_status(red) == CAIRO_STATUS_SUCCESS && total) {
    cairo_surface_flush(red);
    unsigned char *data = cairo_image_surface_get_data(red);
    const int stride = cairo_image_surface_get_stride(red);
    const double lo = quell_report_erb(QUELL_REPORT_FMIN), hi = quell_report_erb(r->rate / 2);
    const double floor_e = r->norm * 1e-10; /* -100 dBFS: below it nothing was there to remove */
    for (int c = 0; c < cols; c++) {
      double ein = 0.0, eout = 0.0;
      for (int b = 0; b < QUELL_REPORT_BANDS; b++) {
        const double f0 = quell_report_erb_inv(lo + (hi - lo) * b / QUELL_REPORT_BANDS);
        const double f1 = quell_report_erb_inv(lo + (hi - lo) * (b + 1) / QUELL_REPORT_BANDS);
        const double i_e = quell_report_band(r, 0, c, f0, f1) / (r->s[0].count[c] ? r->s[0].count[c] : 1);
        const double o_e = quell_report_band(r, 1, c, f0, f1) / (r->s[1].count[c] ? r->s[1].count[c] : 1);
        ein += i_e;
        eout += o_e;
        const double db = i_e > floor_e ? 10.0 * log10((i_e + floor_e) / (o_e + floor_e)) : 0.0;
        uint32_t *row = (uint32_t *)(data + (size_t)(QUELL_REPORT_BANDS - 1 - b) * (size_t)stride);
        row[c] = quell_report_colour(quell_report_red_map, 4, db / QUELL_REPORT_TOP_DB);
      }
      total[c] = ein > floor_e ? 10.0 * log10((ein + floor_e) / (eout + floor_e)) : 0.0;
    }
    cairo_surface_mark_dirty(red);
    quell_report_paint_image(cr, red, QR_LEFT, y, pw, QR_RED_H);
    quell_report_freq_axis(cr, r, y, QR_RED_H);
    quell_report_label(cr, QR_LEFT + 6, y + 14, "reduction per band: 0 (dark) to 30 dB (light)",
                       1, 1, 1);
  }
  cairo_surface_destroy(red);
  y += QR_RED_H + QR_GAP;

  /* Voice probability (blue, 0..1) and the total reduction (orange, 0..30 dB). */
  cairo_set_source_rgb(cr, 0.12, 0.12, 0.13);
  cairo_rectangle(cr, QR_LEFT, y, pw, QR_VOICE_H);
  cairo_fill(cr);
  cairo_set_line_width(cr, 1.2);
  int started = 0;
  for (int c = 0; c < cols; c++) {
    if (!r->voice_n[c]) continue;
    const double v = r->voice_sum[c] / r->voice_n[c];
    const double x = QR_LEFT + pw * (c + 0.5) / cols, yy = y + QR_VOICE_H * (1.0 - v);
    if (started) cairo_line_to(cr, x, yy); else cairo_move_to(cr, x, yy);
    started = 1;
  }
  cairo_set_source_rgb(cr, 0.30, 0.78, 0.95);
  cairo_stroke(cr);
  if (total) {
    for (int c = 0; c < cols; c++) {
      const double v = total[c] < 0 ? 0 : total[c] > QUELL_REPORT_TOP_DB ? 1 : total[c] / QUELL_REPORT_TOP_DB;
      const double x = QR_LEFT + pw * (c + 0.5) / cols, yy = y + QR_VOICE_H * (1.0 - v);
      if (c) cairo_line_to(cr, x, yy); else cairo_move_to(cr, x, yy);
    }
    cairo_set_source_rgb(cr, 0.95, 0.52, 0.18);
    cairo_stroke(cr);
  }
  free(total);
  quell_report_label(cr, QR_LEFT + 6, y + 13, "voice probability (0-1)", 0.30, 0.78, 0.95);
  quell_report_label(cr, QR_LEFT + 160, y + 13, "total reduction (0-30 dB)", 0.95, 0.52, 0.18);
  y += QR_VOICE_H;

  /* Time axis: a tick every 1, 2, 5, 10, ... s, about every 100 px. */
  static const double steps[] = {0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600};
  double step = steps[sizeof steps / sizeof steps[0] - 1];
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
    if (pw * steps[i] / seconds >= 90.0) {
      step = steps[i];
      break;
    }
  cairo_set_font_size(cr, 10.0);
  cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
  cairo_set_line_width(cr, 1.0);
  for (double t = 0.0; t <= seconds; t += step) {
    const double x = floor(QR_LEFT + pw * t / seconds) + 0.5;
    char label[32];
    if (step >= 60) snprintf(label, sizeof label, "%d:%02d", (int)(t / 60), (int)fmod(t, 60));
    else snprintf(label, sizeof label, step < 1 ? "%.1f s" : "%.0f s", t);
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x, y + 5);
    cairo_stroke(cr);
    if (x + 40 < QR_W) quell_report_text(cr, x + 3, y + 15, label, 0);
  }
  cairo_set_font_size(cr, 13.0);
  cairo_set_source_rgb(cr, 1, 1, 1);
  quell_report_text(cr, QR_LEFT, 19, title, 0);
  cairo_set_font_size(cr, 10.0);
  cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
  quell_report_text(cr, 6, QR_TOP + 12, "Hz", 0);

  cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  if (st == CAIRO_STATUS_SUCCESS && !svg) st = cairo_surface_write_to_png(page, path);
  cairo_surface_finish(page);
  if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(page);
  cairo_surface_destroy(page);
  /* The text brought up cairo's font caches and fontconfig's configuration, which live until the
   * process ends; quell-process is done drawing by now, so hand them back and leak checkers
   * (make asan-check) see a clean exit. Both are re-created if anything draws text again. */
  cairo_debug_reset_static_data();
  FcFini();
  if (st != CAIRO_STATUS_SUCCESS) {
    snprintf(err, err_len, "%s: cannot write the report: %s", path, cairo_status_to_string(st));
    return -1;
  }
  return 0;
}
