/* quell_inline_display.c — see quell_inline_display.h. Drawing is cairo's; sizes are worked out
 * in whole pixels so lines and digits stay sharp at the 100 x 50 px of a narrow strip. */
#include "quell_inline_display.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>

/* Largest image drawn, whatever a host asks (a strip is a few hundred pixels wide). */
#define QUELL_INLINE_DISPLAY_MAX_SIDE 2048
/* Full scale of the curve: reductions beyond 30 dB all look like "removed"; a lower attenuation
 * limit becomes the full scale so its whole range is used, down to a 6 dB scale. */
#define QUELL_INLINE_DISPLAY_TOP_DB 30.0f
#define QUELL_INLINE_DISPLAY_MIN_TOP_DB 6.0f
/* Largest dB value stored for a band (a gain of 0, the limit switched off). */
#define QUELL_INLINE_DISPLAY_MAX_DB 120.0f

struct QuellInlineDisplay {
  /* Audio thread. */
  QuellLv2InlineDisplay queue; /* the host's feature, copied */
  uint32_t period;             /* frames between publications: rate / QUELL_INLINE_DISPLAY_HZ */
  uint32_t elapsed;            /* frames since the last publication */
  QuellDisplayState next, last; /* being built / last published (compared to skip redraws) */
  /* Shared. */
  QuellDisplaySnapshot snap;
  /* Constant after create. */
  float band_hz[QUELL_DISPLAY_MAX_BANDS];
  uint32_t n_bands; /* bands below Nyquist */
  /* GUI thread. */
  QuellDisplayState shown; /* the last consistent snapshot read */
  cairo_surface_t *surface;
  QuellLv2InlineDisplayImageSurface image;
};

static float quell_inline_display_gain_db(float gain) {
  const float db = gain > 1e-6f ? -20.0f * log10f(gain) : QUELL_INLINE_DISPLAY_MAX_DB;
  /* > 0 test, not fmaxf: it also turns -0 into +0, so unchanged states compare equal. */
  return db > 0.0f ? (db < QUELL_INLINE_DISPLAY_MAX_DB ? db : QUELL_INLINE_DISPLAY_MAX_DB) : 0.0f;
}

QuellInlineDisplay *quell_inline_display_create(const QuellLv2InlineDisplay *queue_draw,
                                                const QuellEngine *engine, double rate) {
  if (!queue_draw || !queue_draw->queue_draw || !engine || !(rate > 0.0)) return NULL;
  QuellInlineDisplay *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->queue = *queue_draw;
  d->period = (uint32_t)lrint(rate / QUELL_INLINE_DISPLAY_HZ);
  if (d->period < 1) d->period = 1;
  const uint32_t nb = quell_engine_band_centres(engine, d->band_hz, QUELL_DISPLAY_MAX_BANDS);
  /* Bands above Nyquist only ever see silence: leave them off the axis. */
  while (d->n_bands < nb && d->band_hz[d->n_bands] < 0.5 * rate) d->n_bands++;
  if (d->n_bands < 2) d->n_bands = nb < 2 ? nb : 2;
  d->next.n_bands = d->n_bands;
  d->next.atten_limit_db = QUELL_DEFAULT_ATTEN_LIMIT_DB;
  d->next.gate_threshold = QUELL_DEFAULT_GATE_THRESHOLD;
  d->next.enabled = 1;
  d->last = d->shown = d->next;
  quell_display_snapshot_init(&d->snap, &d->next);
  return d;
}

void quell_inline_display_destroy(QuellInlineDisplay *d) {
  if (!d) return;
  if (d->surface) cairo_surface_destroy(d->surface);
  free(d);
}

void quell_inline_display_run(QuellInlineDisplay *d, const QuellEngine *engine,
                              const QuellParams *params, uint32_t n) {
  if (!d) return;
  d->elapsed += n;
  if (d->elapsed < d->period) return;
  /* One publication per call at most, so a host block longer than the period still means at
   * most QUELL_INLINE_DISPLAY_HZ redraws a second. */
  d->elapsed %= d->period;
  QuellDisplayState *s = &d->next;
  float gains[QUELL_DISPLAY_MAX_BANDS];
  const uint32_t nb = quell_engine_band_gains(engine, gains, d->n_bands);
  for (uint32_t b = 0; b < nb; b++) s->band_db[b] = quell_inline_display_gain_db(gains[b]);
  s->voice_prob = quell_engine_voice_probability(engine);
  s->gate_db = -quell_inline_display_gain_db(quell_engine_gate_gain(engine));
  s->reduction_db = quell_engine_reduction_db(engine);
  if (!(s->reduction_db > 0.0f)) s->reduction_db = 0.0f;
  s->atten_limit_db = params->atten_limit_db;
  s->gate_threshold = params->gate_threshold;
  s->gate_enabled = params->gate_enabled != 0;
  s->enabled = params->enabled != 0;
  /* Unchanged (digital silence, a stopped transport): nothing to redraw. */
  if (memcmp(s, &d->last, sizeof *s) == 0) return;
  quell_display_snapshot_write(&d->snap, s);
  d->last = *s;
  d->queue.queue_draw(d->queue.handle);
}

/* --- drawing --------------------------------------------------------------------------------- */

static float quell_inline_display_clampf(float v, float lo, float hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/* Seven-segment glyphs (bits a..g = 0..6: top, upper right, lower right, bottom, lower left,
 * upper left, middle): digits, '-', and 'd' 'b' for the unit. Drawn as pixel-aligned rectangles,
 * they stay legible down to 7 px high, and need no font (hosts' plugins cannot count on one). */
static unsigned quell_inline_display_glyph(char c) {
  static const unsigned digits[10] = {0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f};
  if (c >= '0' && c <= '9') return digits[c - '0'];
  if (c == '-') return 0x40;
  if (c == 'd') return 0x5e;
  if (c == 'b') return 0x7c;
  return 0;
}

/* Width in pixels of text drawn with digit height dh. */
static int quell_inline_display_text_width(const char *text, int dh) {
  const int cw = dh / 2 > 3 ? dh / 2 : 3, gap = dh / 6 > 1 ? dh / 6 : 1;
  int w = 0;
  for (const char *p = text; *p; p++) w += (*p == ' ' ? cw / 2 : cw) + gap;
  return w > 0 ? w - gap : 0;
}

/* Draws text with its top-left corner at (x, y), digits dh pixels high, in the current source. */
static void quell_inline_display_text(cairo_t *cr, const char *text, int x, int y, int dh) {
  const int cw = dh / 2 > 3 ? dh / 2 : 3, gap = dh / 6 > 1 ? dh / 6 : 1;
  const int t = dh / 7 > 1 ? dh / 7 : 1;   /* stroke */
  const int mid = (dh - t) / 2;            /* top of the middle bar */
  for (const char *p = text; *p; p++) {
    const unsigned g = quell_inline_display_glyph(*p);
    if (g & 0x01) cairo_rectangle(cr, x, y, cw, t);
    if (g & 0x02) cairo_rectangle(cr, x + cw - t, y, t, mid + t);
    if (g & 0x04) cairo_rectangle(cr, x + cw - t, y + mid, t, dh - mid);
    if (g & 0x08) cairo_rectangle(cr, x, y + dh - t, cw, t);
    if (g & 0x10) cairo_rectangle(cr, x, y + mid, t, dh - mid);
    if (g & 0x20) cairo_rectangle(cr, x, y, t, mid + t);
    if (g & 0x40) cairo_rectangle(cr, x, y + mid, cw, t);
    x += (*p == ' ' ? cw / 2 : cw) + gap;
  }
  cairo_fill(cr);
}

/* x of frequency hz on the band axis between x0 and x1, or -1 outside the bands. Bands are
 * equally spaced on the axis (they are equally spaced on the ERB-like scale); between two band
 * centres the position is linear in Hz. */
static double quell_inline_display_freq_x(const float *hz, uint32_t n, double hz_at, double x0,
                                          double x1) {
  for (uint32_t b = 0; b + 1 < n; b++) {
    if (hz_at >= hz[b] && hz_at <= hz[b + 1]) {
      const double f = b + (hz_at - hz[b]) / (hz[b + 1] - hz[b]);
      return x0 + (x1 - x0) * f / (n - 1);
    }
  }
  return -1.0;
}

/* The whole picture of state s at w x h. */
static void quell_inline_display_draw(cairo_t *cr, const QuellDisplayState *s, const float *hz,
                                      int w, int h) {
  const int sw = (int)quell_inline_display_clampf(roundf(w * 0.06f), 3.0f, 12.0f); /* side bar */
  const int gap = w >= 60 ? 2 : 1;
  const double x0 = 0.0, x1 = w - sw - gap, y0 = 0.0, y1 = h;
  const uint32_t n = s->n_bands < 2 ? 2 : s->n_bands;
  const float top =
      quell_inline_display_clampf(s->atten_limit_db, QUELL_INLINE_DISPLAY_MIN_TOP_DB,
                                  QUELL_INLINE_DISPLAY_TOP_DB);

  cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
  cairo_set_source_rgba(cr, 0.08, 0.08, 0.09, 1.0);
  cairo_paint(cr);
  cairo_set_operator(cr, CAIRO_OPERATOR_OVER);

  /* Grid: dB lines, then 100 Hz / 1 kHz / 10 kHz (1 kHz brighter: the middle of speech). */
  const float step = top >= 20.0f ? 10.0f : top >= 10.0f ? 5.0f : 2.0f;
  cairo_set_line_width(cr, 1.0);
  cairo_set_source_rgba(cr, 1.0, 1.0, 1.0, 0.10);
  for (float db = step; db < top - 0.5f; db += step) {
    const double y = floor(y0 + (y1 - y0) * db / top) + 0.5;
    cairo_move_to(cr, x0, y);
    cairo_line_to(cr, x1, y);
  }
  cairo_stroke(cr);
  static const double ticks[] = {100.0, 1000.0, 10000.0};
  for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++) {
    const double x = quell_inline_display_freq_x(hz, s->n_bands, ticks[i], x0, x1);
    if (x < 0.0) continue;
    cairo_set_source_rgba(cr, 1.0, 1.0, 1.0, ticks[i] == 1000.0 ? 0.22 : 0.12);
    cairo_move_to(cr, floor(x) + 0.5, y0);
    cairo_line_to(cr, floor(x) + 0.5, y1);
    cairo_stroke(cr);
  }

  /* The reduction curve, hanging from 0 dB at the top: the deeper, the more was removed. */
  const double lw = w >= 200 ? 2.0 : 1.0;
  cairo_move_to(cr, x0, y0);
  for (uint32_t b = 0; b < s->n_bands; b++) {
    const double x = x0 + (x1 - x0) * b / (n - 1);
    const double y = y0 + (y1 - y0 - lw) * quell_inline_display_clampf(s->band_db[b], 0.0f, top) / top;
    cairo_line_to(cr, x, y + lw / 2);
  }
  cairo_line_to(cr, x1, y0);
  cairo_close_path(cr);
  if (s->enabled)
    cairo_set_source_rgba(cr, 0.95, 0.52, 0.18, 0.50);
  else /* bypassed: what would be removed, in grey */
    cairo_set_source_rgba(cr, 0.6, 0.6, 0.6, 0.35);
  cairo_fill_preserve(cr);
  cairo_set_line_width(cr, lw);
  if (s->enabled)
    cairo_set_source_rgba(cr, 1.0, 0.66, 0.30, 1.0);
  else
    cairo_set_source_rgba(cr, 0.7, 0.7, 0.7, 0.8);
  cairo_stroke(cr);

  /* Gate lamp (top of the side bar): dark = gate off, green = open, to red as it closes. */
  const int lx = w - sw, lamp = sw;
  if (!s->gate_enabled) {
    cairo_set_source_rgba(cr, 0.30, 0.30, 0.32, 1.0);
  } else {
    /* Fully red once the gate is 12 dB down: the gate floor is -24 dB by default, and a lamp
     * that only turned red at the floor would say "closed" too late to read. */
    const double closed = quell_inline_display_clampf(-s->gate_db / 12.0f, 0.0f, 1.0f);
    cairo_set_source_rgba(cr, 0.25 + 0.70 * closed, 0.85 - 0.60 * closed, 0.30 - 0.10 * closed, 1.0);
  }
  cairo_rectangle(cr, lx, 0, sw, lamp);
  cairo_fill(cr);

  /* Voice probability bar under it, filling upwards; the gate threshold as a tick when on. */
  const int by0 = lamp + gap, by1 = h;
  if (by1 - by0 >= 4) {
    cairo_set_source_rgba(cr, 0.16, 0.16, 0.18, 1.0);
    cairo_rectangle(cr, lx, by0, sw, by1 - by0);
    cairo_fill(cr);
    const int fill = (int)lrintf((by1 - by0) * quell_inline_display_clampf(s->voice_prob, 0, 1));
    cairo_set_source_rgba(cr, 0.30, 0.78, 0.95, 1.0);
    cairo_rectangle(cr, lx, by1 - fill, sw, fill);
    cairo_fill(cr);
    if (s->gate_enabled) {
      const int ty = by1 - (int)lrintf((by1 - by0) * quell_inline_display_clampf(s->gate_threshold, 0, 1));
      cairo_set_source_rgba(cr, 1.0, 1.0, 1.0, 0.9);
      cairo_rectangle(cr, lx, ty > by0 ? ty - 1 : by0, sw, 1);
      cairo_fill(cr);
    }
  }

  /* Total reduction, bottom left, on a dark plate so the curve never hides it. */
  const int dh = (int)quell_inline_display_clampf(roundf(h * 0.2f), 7.0f, 20.0f);
  const long r = lrintf(quell_inline_display_clampf(s->reduction_db, 0.0f, 99.0f));
  char text[16];
  text[0] = r > 0 ? '-' : '\0';
  text[1] = '\0';
  {
    char digits[4];
    int k = 0;
    long v = r;
    do digits[k++] = (char)('0' + v % 10); while ((v /= 10) > 0 && k < 3);
    size_t len = strlen(text);
    while (k > 0) text[len++] = digits[--k];
    text[len] = '\0';
    /* The unit when there is room for it beside the number. */
    if (quell_inline_display_text_width("-99 db", dh) + 6 <= (int)(x1 - x0)) strcat(text, " db");
  }
  const int pad = dh >= 12 ? 3 : 2, tw = quell_inline_display_text_width(text, dh);
  const int tx = pad + 1, ty = h - dh - pad - 1;
  cairo_set_source_rgba(cr, 0.0, 0.0, 0.0, 0.6);
  cairo_rectangle(cr, tx - pad, ty - pad, tw + 2 * pad, dh + 2 * pad);
  cairo_fill(cr);
  cairo_set_source_rgba(cr, 0.93, 0.93, 0.93, s->enabled ? 1.0 : 0.5);
  quell_inline_display_text(cr, text, tx, ty, dh);
}

QuellLv2InlineDisplayImageSurface *quell_inline_display_render(QuellInlineDisplay *d, uint32_t w,
                                                               uint32_t h) {
  if (!d || w < 8 || h < 8) return NULL;
  if (w > QUELL_INLINE_DISPLAY_MAX_SIDE) w = QUELL_INLINE_DISPLAY_MAX_SIDE;
  if (h > w) h = w;
  if (!d->surface || d->image.width != (int)w || d->image.height != (int)h) {
    if (d->surface) cairo_surface_destroy(d->surface);
    d->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)w, (int)h);
    if (cairo_surface_status(d->surface) != CAIRO_STATUS_SUCCESS) {
      cairo_surface_destroy(d->surface);
      d->surface = NULL;
      return NULL;
    }
    d->image.width = (int)w;
    d->image.height = (int)h;
  }
  /* A reader that keeps meeting writes draws the previous state again: never wrong for long. */
  quell_display_snapshot_read(&d->snap, &d->shown);
  cairo_t *cr = cairo_create(d->surface);
  quell_inline_display_draw(cr, &d->shown, d->band_hz, (int)w, (int)h);
  const int ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
  cairo_destroy(cr);
  if (!ok) return NULL;
  cairo_surface_flush(d->surface);
  d->image.data = cairo_image_surface_get_data(d->surface);
  d->image.stride = cairo_image_surface_get_stride(d->surface);
  return &d->image;
}
