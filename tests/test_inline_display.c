/* test_inline_display — the LV2 inline display (plugin/quell_inline_display.h) as Ardour and
 * Carla drive it, through lilv and the built fixture bundle:
 *  - the extension's structures have the layout those hosts use;
 *  - without the queue_draw feature the plugin instantiates and runs as before and render()
 *    returns NULL;
 *  - with it, both variants: silence, noise, then speech over noise (generated here: a voiced
 *    vowel-like tone with syllables, over low-passed noise), 2 s each; after each, render() at
 *    100x50, 200x100 and 300x200 gives images of the expected size, written as PNGs, and the
 *    pictures differ between the three inputs (the curve's area grows from silence to noise);
 *  - the gate lamp is grey with the gate off and red once noise has closed it;
 *  - queue_draw is called at most 30 times per second of audio (counted in samples, whatever the
 *    block sizes), at least 20 while noise keeps the picture changing, never while digital
 *    silence leaves it unchanged;
 *  - render() on a second thread, in a loop over sizes, while the main thread runs audio (for
 *    ASan/UBSan in `make asan-check` and TSan in `make tsan-display`).
 * PNGs go to $QUELL_DISPLAY_PNG_DIR, else $BUILD/test-inline-display (`make display-pictures`
 * runs this with the shipped weights to make the pictures in docs/). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cairo.h>

#include "../plugin/quell_lv2_inline_display.h"
#include "../plugin/quell_ports.h"
#include "test_lv2_host.h"

#define CHECK test_lv2_host_check
#define RATE 48000.0
#define SECONDS 2
#define FRAMES ((uint32_t)(RATE * SECONDS))
#define MAX_BLOCK 2048

/* The layout Ardour and Carla read (the extension's LV2_Inline_Display_Image_Surface, ...). */
_Static_assert(offsetof(QuellLv2InlineDisplayImageSurface, data) == 0, "data first");
_Static_assert(offsetof(QuellLv2InlineDisplayImageSurface, width) == sizeof(void *), "width");
_Static_assert(offsetof(QuellLv2InlineDisplayImageSurface, height) == sizeof(void *) + sizeof(int),
               "height");
_Static_assert(offsetof(QuellLv2InlineDisplayImageSurface, stride) ==
                   sizeof(void *) + 2 * sizeof(int),
               "stride");
_Static_assert(offsetof(QuellLv2InlineDisplay, queue_draw) == sizeof(void *), "queue_draw");
_Static_assert(sizeof(QuellLv2InlineDisplayInterface) == sizeof(void (*)(void)), "one function");

static atomic_uint draws;

static void count_draw(void *handle) {
  (void)handle;
  atomic_fetch_add_explicit(&draws, 1u, memory_order_relaxed);
}

typedef enum { SIG_SILENCE, SIG_NOISE, SIG_SPEECH } SignalKind;
static const char *const signal_names[] = {"silence", "noise", "speech"};

/* Deterministic test audio at RATE, sample t from the start of the scene. */
typedef struct {
  uint32_t rng;
  float lp; /* one-pole low-pass state: noise with more energy low, as rooms and fans have */
  double phase;
} Gen;

static float gen_noise(Gen *g) {
  g->lp += 0.25f * (test_lv2_host_noise(&g->rng, 1.0f) - g->lp);
  return 0.12f * g->lp;
}

/* A vowel-like voiced sound: harmonics of a gliding 100..160 Hz pitch under two formants that
 * move per syllable, in 4 Hz syllables with short pauses. */
static float gen_speech(Gen *g, uint32_t t) {
  const double s = t / RATE;
  const double f0 = 130.0 + 30.0 * sin(2.0 * M_PI * 0.7 * s);
  const double syl = fmod(s * 4.0, 1.0);
  const double env = syl < 0.75 ? sin(M_PI * syl / 0.75) : 0.0;
  const int k = (int)(s * 4.0) % 3;
  const double f1 = k == 0 ? 700.0 : k == 1 ? 400.0 : 550.0;
  const double f2 = k == 0 ? 1200.0 : k == 1 ? 2100.0 : 900.0;
  double y = 0.0;
  g->phase += 2.0 * M_PI * f0 / RATE;
  if (g->phase > 2.0 * M_PI) g->phase -= 2.0 * M_PI;
  for (int h = 1; h * f0 < 5000.0; h++) {
    const double f = h * f0;
    const double a = 1.0 / (1.0 + pow((f - f1) / 120.0, 2)) + 0.5 / (1.0 + pow((f - f2) / 180.0, 2));
    y += a * sin(h * g->phase);
  }
  return (float)(0.12 * env * y);
}

static float gen_sample(Gen *g, SignalKind kind, uint32_t t) {
  switch (kind) {
  case SIG_SILENCE: return 0.0f;
  case SIG_NOISE: return gen_noise(g);
  /* Shifted so the scene ends inside a syllable, where the pictures are taken. */
  default: return gen_speech(g, t + (uint32_t)(0.09 * RATE)) + 0.5f * gen_noise(g);
  }
}

typedef struct {
  TestLv2Host h;
  const QuellLv2InlineDisplayInterface *iface;
  float *in[2], *out[2];
  Gen gen;
} Rig;

/* Runs one scene of SECONDS through the plugin in random block sizes (0..MAX_BLOCK). Returns the
 * number of queue_draw calls it caused; *late gets those in its last half second. */
static unsigned run_scene(Rig *r, SignalKind kind, uint32_t *rng, unsigned *late) {
  const unsigned before = atomic_load(&draws);
  unsigned at_late = before;
  uint32_t done = 0;
  while (done < FRAMES) {
    uint32_t n = test_lv2_host_rand(rng) % (MAX_BLOCK + 1);
    if (n > FRAMES - done) n = FRAMES - done;
    for (uint32_t t = 0; t < n; t++) {
      const float x = gen_sample(&r->gen, kind, done + t);
      for (uint32_t c = 0; c < r->h.channels; c++) r->in[c][t] = c ? 0.8f * x : x;
    }
    if (done < FRAMES - (uint32_t)(RATE / 2) && done + n >= FRAMES - (uint32_t)(RATE / 2))
      at_late = atomic_load(&draws);
    lilv_instance_run(r->h.instance, n);
    done += n;
  }
  *late = atomic_load(&draws) - at_late;
  return atomic_load(&draws) - before;
}

static const char *png_dir(void) {
  static char dir[4096];
  const char *env = getenv("QUELL_DISPLAY_PNG_DIR");
  if (env && env[0]) snprintf(dir, sizeof dir, "%s", env);
  else snprintf(dir, sizeof dir, "%s/test-inline-display", test_lv2_host_build_dir());
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) test_lv2_host_die("cannot create %s", dir);
  return dir;
}

/* Renders at w x h, checks the image, writes it as <dir>/<name>-<w>x<h>.png when name is set,
 * and returns a copy of its pixels (w * h words, caller frees). */
static uint32_t *render_check(Rig *r, uint32_t w, uint32_t h, const char *name) {
  const QuellLv2InlineDisplayImageSurface *img =
      r->iface->render(lilv_instance_get_handle(r->h.instance), w, h);
  const uint32_t want_h = h < w ? h : w;
  if (!CHECK(img && img->data, "render(%u, %u) returned no image", w, h)) return NULL;
  if (!CHECK(img->width == (int)w && img->height == (int)want_h && img->stride >= 4 * img->width,
             "render(%u, %u): got %d x %d, stride %d; want %u x %u", w, h, img->width,
             img->height, img->stride, w, want_h))
    return NULL;
  uint32_t *copy = malloc(sizeof(uint32_t) * w * want_h);
  if (!copy) test_lv2_host_die("out of memory");
  for (uint32_t y = 0; y < want_h; y++)
    memcpy(copy + (size_t)y * w, img->data + (size_t)y * (size_t)img->stride, 4 * w);
  if (name) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s-%ux%u.png", png_dir(), name, w, want_h);
    cairo_surface_t *s = cairo_image_surface_create_for_data(img->data, CAIRO_FORMAT_ARGB32,
                                                             img->width, img->height, img->stride);
    CHECK(cairo_surface_write_to_png(s, path) == CAIRO_STATUS_SUCCESS, "cannot write %s", path);
    cairo_surface_destroy(s);
    printf("wrote %s\n", path);
  }
  return copy;
}

/* Pixels that differ between two images of n pixels. */
static size_t differing(const uint32_t *a, const uint32_t *b, size_t n) {
  size_t d = 0;
  for (size_t i = 0; i < n; i++) d += a[i] != b[i];
  return d;
}

/* Pixels of the reduction curve's fill or line (orange: red well above blue). */
static size_t curve_pixels(const uint32_t *p, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const int red = (p[i] >> 16) & 0xff, blue = p[i] & 0xff;
    k += red > blue + 40;
  }
  return k;
}

static const LV2_Feature *const *display_features(void) {
  static QuellLv2InlineDisplay queue = {NULL, count_draw};
  static LV2_Feature f = {QUELL_LV2_INLINEDISPLAY__queue_draw, &queue};
  static const LV2_Feature *list[] = {&f, NULL};
  return list;
}

static void rig_open(Rig *r, LilvWorld *world, const char *uri, const LV2_Feature *const *features) {
  memset(r, 0, sizeof *r);
  if (test_lv2_host_open(&r->h, world, uri, RATE, features) != 0)
    test_lv2_host_die("<%s> failed to instantiate", uri);
  for (uint32_t c = 0; c < r->h.channels; c++) {
    r->in[c] = calloc(MAX_BLOCK, sizeof(float));
    r->out[c] = calloc(MAX_BLOCK, sizeof(float));
    if (!r->in[c] || !r->out[c]) test_lv2_host_die("out of memory");
  }
  test_lv2_host_connect_audio(&r->h, (const float *const *)r->in, r->out);
  r->iface = lilv_instance_get_extension_data(r->h.instance, QUELL_LV2_INLINEDISPLAY__interface);
  r->gen.rng = 0x9e3779b9u;
  lilv_instance_activate(r->h.instance);
}

static void rig_close(Rig *r) {
  lilv_instance_deactivate(r->h.instance);
  test_lv2_host_close(&r->h);
  for (uint32_t c = 0; c < 2; c++) {
    free(r->in[c]);
    free(r->out[c]);
  }
}

/* A host without the feature: nothing changes, and render draws nothing. */
static void test_without_feature(LilvWorld *world) {
  Rig r;
  uint32_t rng = 7;
  unsigned late;
  rig_open(&r, world, QUELL_URI_MONO, NULL);
  CHECK(r.iface && r.iface->render, "extension data missing");
  if (r.iface)
    CHECK(r.iface->render(lilv_instance_get_handle(r.h.instance), 200, 100) == NULL,
          "render without queue_draw returned an image");
  CHECK(run_scene(&r, SIG_NOISE, &rng, &late) == 0, "queue_draw counted without the feature");
  CHECK(fabsf(test_lv2_host_get(&r.h, "latency") - 480.0f) < 0.5f, "latency not written");
  rig_close(&r);
}

static void test_variant(LilvWorld *world, const char *uri, const char *variant) {
  static const uint32_t sizes[3][2] = {{100, 50}, {200, 100}, {300, 200}};
  const uint32_t period = (uint32_t)lrint(RATE / 30.0);
  uint32_t *pics[3][3] = {{NULL}};
  uint32_t rng = 12345;
  Rig r;
  rig_open(&r, world, uri, display_features());
  if (!CHECK(r.iface && r.iface->render, "%s: no inline display interface", variant)) {
    rig_close(&r);
    return;
  }
  /* Before any audio: the empty picture, and sizes outside what is drawn. */
  free(render_check(&r, 100, 50, NULL));
  CHECK(r.iface->render(lilv_instance_get_handle(r.h.instance), 4, 4) == NULL,
        "render(4, 4) should refuse");
  free(render_check(&r, 64, 300, NULL)); /* taller than wide: drawn square */

  for (int k = SIG_SILENCE; k <= SIG_SPEECH; k++) {
    unsigned late;
    const unsigned n = run_scene(&r, (SignalKind)k, &rng, &late);
    printf("%s %s: %u queue_draw calls in %u frames (period %u), %u in the last 0.5 s; "
           "voice_prob %.2f, reduction %.1f dB\n",
           variant, signal_names[k], n, FRAMES, period, late,
           test_lv2_host_get(&r.h, "voice_prob"), test_lv2_host_get(&r.h, "reduction"));
    /* One redraw per period at most; run() may publish at most once per call. */
    CHECK(n <= FRAMES / period + 1, "%s %s: %u redraws in %d s, more than 30 a second", variant,
          signal_names[k], n, SECONDS);
    if (k == SIG_SILENCE)
      CHECK(late == 0, "%s: %u redraws in unchanging digital silence", variant, late);
    else
      CHECK(n >= FRAMES / period * 2 / 3, "%s %s: only %u redraws while the picture changes",
            variant, signal_names[k], n);
    for (int s = 0; s < 3; s++) {
      char name[64];
      snprintf(name, sizeof name, "inline-%s-%s", variant, signal_names[k]);
      pics[k][s] = render_check(&r, sizes[s][0], sizes[s][1], name);
    }
  }
  for (int s = 0; s < 3; s++) {
    const size_t npix = (size_t)sizes[s][0] * sizes[s][1];
    if (!pics[0][s] || !pics[1][s] || !pics[2][s]) continue;
    const size_t d01 = differing(pics[0][s], pics[1][s], npix);
    const size_t d12 = differing(pics[1][s], pics[2][s], npix);
    const size_t c0 = curve_pixels(pics[0][s], npix), c1 = curve_pixels(pics[1][s], npix);
    printf("%s %ux%u: silence/noise differ in %zu px, noise/speech in %zu px; curve %zu px in "
           "silence, %zu in noise\n",
           variant, sizes[s][0], sizes[s][1], d01, d12, c0, c1);
    CHECK(d01 > npix / 50, "%s %ux%u: silence and noise look alike", variant, sizes[s][0],
          sizes[s][1]);
    CHECK(d12 > npix / 100, "%s %ux%u: noise and speech over noise look alike", variant,
          sizes[s][0], sizes[s][1]);
    CHECK(c1 > c0 + npix / 50, "%s %ux%u: noise shows no more reduction than silence", variant,
          sizes[s][0], sizes[s][1]);
  }
  for (int k = 0; k < 3; k++)
    for (int s = 0; s < 3; s++) free(pics[k][s]);

  /* The gate lamp (top right, as wide as the side bar): grey with the gate off, red once noise
   * has closed it. */
  {
    const uint32_t w = 200, h = 100, sw = 12; /* side bar width at 200 px: 6 % */
    char name[64];
    unsigned late;
    uint32_t *off = render_check(&r, w, h, NULL);
    test_lv2_host_set(&r.h, "gate", 1.0f);
    test_lv2_host_set(&r.h, "gate_threshold", 0.9f);
    run_scene(&r, SIG_NOISE, &rng, &late);
    snprintf(name, sizeof name, "inline-%s-noise-gated", variant);
    uint32_t *on = render_check(&r, w, h, name);
    if (off && on) {
      const uint32_t p_off = off[(sw / 2) * w + w - sw / 2], p_on = on[(sw / 2) * w + w - sw / 2];
      const int r_off = (p_off >> 16) & 0xff, g_off = (p_off >> 8) & 0xff;
      const int r_on = (p_on >> 16) & 0xff, g_on = (p_on >> 8) & 0xff;
      printf("%s gate lamp: off #%06x, closed in noise #%06x (voice_prob %.2f)\n", variant,
             p_off & 0xffffffu, p_on & 0xffffffu, test_lv2_host_get(&r.h, "voice_prob"));
      CHECK(abs(r_off - g_off) < 20, "%s: lamp not grey with the gate off (#%06x)", variant,
            p_off & 0xffffffu);
      CHECK(r_on > 180 && g_on < 120, "%s: lamp not red with the gate closed (#%06x)", variant,
            p_on & 0xffffffu);
    }
    free(off);
    free(on);
    test_lv2_host_set(&r.h, "gate", 0.0f);
    test_lv2_host_set(&r.h, "gate_threshold", 0.5f);
  }
  rig_close(&r);
}

typedef struct {
  Rig *rig;
  atomic_int stop;
  unsigned renders, failures;
} RenderThread;

/* The host's GUI thread: render continuously, cycling through sizes (each change reallocates). */
static void *render_loop(void *arg) {
  RenderThread *t = arg;
  static const uint32_t sizes[4][2] = {{100, 50}, {300, 200}, {160, 160}, {240, 60}};
  while (!atomic_load(&t->stop)) {
    const uint32_t *sz = sizes[(t->renders / 8) % 4];
    const QuellLv2InlineDisplayImageSurface *img =
        t->rig->iface->render(lilv_instance_get_handle(t->rig->h.instance), sz[0], sz[1]);
    t->failures += !img || img->width != (int)sz[0];
    t->renders++;
  }
  return NULL;
}

static void test_concurrent(LilvWorld *world) {
  Rig r;
  RenderThread t = {0};
  pthread_t th;
  uint32_t rng = 99;
  unsigned late, n = 0;
  rig_open(&r, world, QUELL_URI_STEREO, display_features());
  if (!r.iface) {
    rig_close(&r);
    return;
  }
  t.rig = &r;
  atomic_init(&t.stop, 0);
  if (pthread_create(&th, NULL, render_loop, &t) != 0) test_lv2_host_die("pthread_create");
  for (int k = SIG_NOISE; k <= SIG_SPEECH; k++) n += run_scene(&r, (SignalKind)k, &rng, &late);
  atomic_store(&t.stop, 1);
  pthread_join(th, NULL);
  printf("concurrent: %u renders on a second thread during %u run() frames (%u redraws asked)\n",
         t.renders, 2 * FRAMES, n);
  CHECK(t.renders > 0 && t.failures == 0, "concurrent render: %u of %u failed", t.failures,
        t.renders);
  rig_close(&r);
}

int main(void) {
  LilvWorld *world = test_lv2_host_world();
  atomic_init(&draws, 0u);
  test_without_feature(world);
  test_variant(world, QUELL_URI_MONO, "mono");
  test_variant(world, QUELL_URI_STEREO, "stereo");
  test_concurrent(world);
  lilv_world_free(world);
  printf("%s: %d failure(s)\n", test_lv2_host_failures ? "FAIL" : "PASS", test_lv2_host_failures);
  return test_lv2_host_failures ? 1 : 0;
}
