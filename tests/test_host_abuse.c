/* test_host_abuse — what careless or hurried hosts do to a plugin, done to the real built plugin
 * (the fixture bundle $(BUILD)/test-lv2/quell.lv2 through lilv, and the LADSPA .so through
 * dlopen), each case a check that can fail:
 *
 *   - every port connected to NULL, run before activate, run(0), then audio with controls
 *     unconnected: no crash, outputs finite, latency written on the first run;
 *   - activate / deactivate / activate: the re-activated instance gives, sample for sample, what
 *     a fresh instance gives (LV2: activate resets all history-dependent state);
 *   - instantiate at 8 kHz, 384 kHz and nonsense rates: NULL with exactly one log line each;
 *   - 1000 instances created, run and freed: heap use (mallinfo2) and RSS do not grow;
 *   - two threads instantiating concurrently (different rates, so FFTW plans different sizes
 *     at the same time): every instance is created and its output equals, bit for bit, the
 *     output of an instance made alone (FFTW's planner is not thread-safe by itself).
 *
 * The lilv host here is self-contained on purpose: it must not share code with the plugin
 * under test beyond the published URIs and port symbols. */
#include <dlfcn.h>
#include <ladspa.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lilv/lilv.h>
#include <lv2/log/log.h>
#include <lv2/urid/urid.h>

#include "quell_test.h"

#ifndef QUELL_ABUSE_BUILD
#define QUELL_ABUSE_BUILD "build"
#endif
#define ABUSE_URI_MONO "https://github.com/quell-audio/quell#mono"
#define ABUSE_URI_STEREO "https://github.com/quell-audio/quell#stereo"
#define ABUSE_MAX_PORTS 32
#define ABUSE_BLOCK 2048

/* --- host features: urid:map and log:log, counting error lines --------------------------- */
static const char *abuse_urids[64];
static int abuse_n_urids;
static pthread_mutex_t abuse_urid_lock = PTHREAD_MUTEX_INITIALIZER;
static int abuse_log_lines;

static LV2_URID abuse_map(LV2_URID_Map_Handle h, const char *uri)
{
  (void)h;
  pthread_mutex_lock(&abuse_urid_lock);
  int i = 0;
  while (i < abuse_n_urids && strcmp(abuse_urids[i], uri)) i++;
  if (i == abuse_n_urids && i < 64) abuse_urids[abuse_n_urids++] = strdup(uri);
  pthread_mutex_unlock(&abuse_urid_lock);
  return (LV2_URID)(i + 1);
}

static int abuse_vprintf(LV2_Log_Handle h, LV2_URID type, const char *fmt, va_list ap)
{
  (void)h;
  (void)type;
  char line[1024];
  const int n = vsnprintf(line, sizeof line, fmt, ap);
  __atomic_add_fetch(&abuse_log_lines, 1, __ATOMIC_SEQ_CST);
  printf("  plugin log: %s%s", line, n > 0 && line[n - 1] == '\n' ? "" : "\n");
  return n;
}

static int abuse_printf(LV2_Log_Handle h, LV2_URID type, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  const int n = abuse_vprintf(h, type, fmt, ap);
  va_end(ap);
  return n;
}

static LV2_URID_Map abuse_map_feature = {NULL, abuse_map};
static LV2_Log_Log abuse_log_feature = {NULL, abuse_printf, abuse_vprintf};
static const LV2_Feature abuse_f_map = {LV2_URID__map, &abuse_map_feature};
static const LV2_Feature abuse_f_log = {LV2_LOG__log, &abuse_log_feature};
static const LV2_Feature *const abuse_features[] = {&abuse_f_map, &abuse_f_log, NULL};

/* --- the plugin as lilv describes it ---------------------------------------------------- */
typedef struct {
  const LilvPlugin *plugin;
  uint32_t n_ports, channels;
  uint32_t audio_in[2], audio_out[2];
  int is_control[ABUSE_MAX_PORTS];
  float defaults[ABUSE_MAX_PORTS];
  uint32_t latency_port;
} AbusePlugin;

static LilvWorld *abuse_world;
static AbusePlugin abuse_plugins[2]; /* mono, stereo */
static char abuse_bundle_path[4096];

static void abuse_describe(AbusePlugin *ap, const char *uri)
{
  LilvNode *u = lilv_new_uri(abuse_world, uri);
  ap->plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(abuse_world), u);
  lilv_node_free(u);
  QUELL_REQUIRE(ap->plugin, "plugin %s not in %s (make fixture-bundle)", uri, abuse_bundle_path);
  ap->n_ports = lilv_plugin_get_num_ports(ap->plugin);
  QUELL_REQUIRE(ap->n_ports <= ABUSE_MAX_PORTS, "%u ports", ap->n_ports);
  LilvNode *audio = lilv_new_uri(abuse_world, LILV_URI_AUDIO_PORT);
  LilvNode *control = lilv_new_uri(abuse_world, LILV_URI_CONTROL_PORT);
  LilvNode *input = lilv_new_uri(abuse_world, LILV_URI_INPUT_PORT);
  float mins[ABUSE_MAX_PORTS], maxs[ABUSE_MAX_PORTS];
  lilv_plugin_get_port_ranges_float(ap->plugin, mins, maxs, ap->defaults);
  uint32_t ni = 0, no = 0;
  for (uint32_t i = 0; i < ap->n_ports; i++) {
    const LilvPort *p = lilv_plugin_get_port_by_index(ap->plugin, i);
    const int in = lilv_port_is_a(ap->plugin, p, input);
    if (lilv_port_is_a(ap->plugin, p, audio)) {
      if (in && ni < 2) ap->audio_in[ni++] = i;
      else if (!in && no < 2) ap->audio_out[no++] = i;
    } else if (lilv_port_is_a(ap->plugin, p, control)) {
      ap->is_control[i] = 1;
      if (isnan(ap->defaults[i])) ap->defaults[i] = 0.0f;
    }
  }
  ap->channels = ni;
  QUELL_REQUIRE(ni == no && ni >= 1, "%s: %u audio inputs, %u outputs", uri, ni, no);
  QUELL_REQUIRE(lilv_plugin_has_latency(ap->plugin), "%s reports no latency port", uri);
  ap->latency_port = lilv_plugin_get_latency_port_index(ap->plugin);
  lilv_node_free(audio);
  lilv_node_free(control);
  lilv_node_free(input);
}

/* Connects every control port to ctl[] (at defaults) and the audio ports to in/out. */
static void abuse_connect(const AbusePlugin *ap, const LV2_Descriptor *d, LV2_Handle h, float *ctl,
                          float *const *in, float *const *out)
{
  for (uint32_t i = 0; i < ap->n_ports; i++)
    if (ap->is_control[i]) {
      ctl[i] = ap->defaults[i];
      d->connect_port(h, i, &ctl[i]);
    }
  for (uint32_t c = 0; c < ap->channels; c++) {
    d->connect_port(h, ap->audio_in[c], in ? in[c] : NULL);
    d->connect_port(h, ap->audio_out[c], out ? out[c] : NULL);
  }
}

static void abuse_noise(float *x, uint32_t n, unsigned seed)
{
  unsigned s = seed;
  for (uint32_t i = 0; i < n; i++) x[i] = 0.25f * quell_test_noise(&s);
}

static int abuse_finite(const float *x, uint32_t n)
{
  for (uint32_t i = 0; i < n; i++)
    if (!isfinite(x[i]) || fabsf(x[i]) > 16.0f) return 0;
  return 1;
}

/* activate and deactivate are optional in a descriptor (NULL when the plugin needs none). */
static void abuse_activate(const LV2_Descriptor *d, LV2_Handle h)
{
  if (d->activate) d->activate(h);
}

static void abuse_deactivate(const LV2_Descriptor *d, LV2_Handle h)
{
  if (d->deactivate) d->deactivate(h);
}

/* --- cases ------------------------------------------------------------------------------ */
static void abuse_null_ports(const AbusePlugin *ap)
{
  LilvInstance *inst = lilv_plugin_instantiate(ap->plugin, 48000.0, abuse_features);
  QUELL_REQUIRE(inst, "instantiate at 48 kHz failed");
  const LV2_Descriptor *d = lilv_instance_get_descriptor(inst);
  LV2_Handle h = lilv_instance_get_handle(inst);
  /* Ardour-style scan: everything NULL, run before activate, then the usual life cycle. */
  for (uint32_t i = 0; i < ap->n_ports; i++) d->connect_port(h, i, NULL);
  d->run(h, 64);
  d->run(h, 0);
  if (d->activate) d->activate(h);
  d->run(h, 4096);
  d->run(h, 1);
  /* Audio connected, controls left NULL: processing with defaults, finite output. */
  float in[2][ABUSE_BLOCK], out[2][ABUSE_BLOCK];
  float *ins[2] = {in[0], in[1]}, *outs[2] = {out[0], out[1]};
  abuse_noise(in[0], ABUSE_BLOCK, 3);
  abuse_noise(in[1], ABUSE_BLOCK, 4);
  for (uint32_t c = 0; c < ap->channels; c++) {
    d->connect_port(h, ap->audio_in[c], ins[c]);
    d->connect_port(h, ap->audio_out[c], outs[c]);
  }
  for (int k = 0; k < 10; k++) d->run(h, ABUSE_BLOCK);
  QUELL_CHECK(abuse_finite(out[0], ABUSE_BLOCK), "%u ch: output with NULL controls not finite",
              ap->channels);
  /* Controls connected, one audio output pulled away mid-stream: no crash. */
  float ctl[ABUSE_MAX_PORTS];
  abuse_connect(ap, d, h, ctl, ins, outs);
  d->connect_port(h, ap->audio_out[0], NULL);
  d->run(h, 512);
  d->connect_port(h, ap->audio_in[0], NULL);
  d->run(h, 512);
  if (d->deactivate) d->deactivate(h);
  lilv_instance_free(inst);
}

static void abuse_run_before_activate(const AbusePlugin *ap)
{
  LilvInstance *inst = lilv_plugin_instantiate(ap->plugin, 48000.0, abuse_features);
  QUELL_REQUIRE(inst, "instantiate failed");
  const LV2_Descriptor *d = lilv_instance_get_descriptor(inst);
  LV2_Handle h = lilv_instance_get_handle(inst);
  float in[2][ABUSE_BLOCK], out[2][ABUSE_BLOCK], ctl[ABUSE_MAX_PORTS];
  float *ins[2] = {in[0], in[1]}, *outs[2] = {out[0], out[1]};
  abuse_noise(in[0], ABUSE_BLOCK, 5);
  abuse_noise(in[1], ABUSE_BLOCK, 6);
  abuse_connect(ap, d, h, ctl, ins, outs);
  ctl[ap->latency_port] = -1.0f;
  d->run(h, ABUSE_BLOCK); /* never activated */
  /* Written on the very first run, whole samples, at most 20 ms (the format allows 2 x 10 ms). */
  const float lat = ctl[ap->latency_port];
  QUELL_CHECK(lat >= 1.0f && lat <= 960.0f && lat == floorf(lat),
              "%u ch: latency after a run before activate: %g", ap->channels, (double)lat);
  for (uint32_t c = 0; c < ap->channels; c++)
    QUELL_CHECK(abuse_finite(out[c], ABUSE_BLOCK), "run before activate: output not finite");
  lilv_instance_free(inst);
}

/* Runs `blocks` blocks of noise (seed) through h, writing the last block to out. */
static void abuse_feed(const AbusePlugin *ap, const LV2_Descriptor *d, LV2_Handle h, float *ctl,
                       unsigned seed, int blocks, float out[2][ABUSE_BLOCK])
{
  float in[2][ABUSE_BLOCK];
  float *ins[2] = {in[0], in[1]}, *outs[2] = {out[0], out[1]};
  abuse_connect(ap, d, h, ctl, ins, outs);
  for (int b = 0; b < blocks; b++) {
    abuse_noise(in[0], ABUSE_BLOCK, seed + 2u * (unsigned)b);
    abuse_noise(in[1], ABUSE_BLOCK, seed + 2u * (unsigned)b + 1u);
    d->run(h, ABUSE_BLOCK);
  }
}

static void abuse_reactivate(const AbusePlugin *ap)
{
  LilvInstance *a = lilv_plugin_instantiate(ap->plugin, 48000.0, abuse_features);
  LilvInstance *b = lilv_plugin_instantiate(ap->plugin, 48000.0, abuse_features);
  QUELL_REQUIRE(a && b, "instantiate failed");
  const LV2_Descriptor *d = lilv_instance_get_descriptor(a);
  LV2_Handle ha = lilv_instance_get_handle(a), hb = lilv_instance_get_handle(b);
  float ca[ABUSE_MAX_PORTS], cb[ABUSE_MAX_PORTS];
  static float oa[2][ABUSE_BLOCK], ob[2][ABUSE_BLOCK];
  abuse_activate(d, ha);
  abuse_feed(ap, d, ha, ca, 100, 30, oa); /* history: 1.3 s of other audio */
  abuse_deactivate(d, ha);
  abuse_activate(d, ha);
  abuse_deactivate(d, ha);
  abuse_activate(d, ha);
  abuse_activate(d, hb);
  abuse_feed(ap, d, ha, ca, 7, 12, oa);
  abuse_feed(ap, d, hb, cb, 7, 12, ob);
  QUELL_CHECK(memcmp(oa, ob, sizeof(float) * ABUSE_BLOCK * ap->channels) == 0,
              "%u ch: after deactivate/activate the output differs from a fresh instance's "
              "(activate must reset the history)", ap->channels);
  abuse_deactivate(d, ha);
  abuse_deactivate(d, hb);
  lilv_instance_free(a);
  lilv_instance_free(b);
}

static void abuse_bad_rates(const AbusePlugin *ap)
{
  const double rates[] = {8000.0, 384000.0, 0.0, -48000.0, NAN, INFINITY, 1e12, 15999.0};
  for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
    const int before = abuse_log_lines;
    LilvInstance *inst = lilv_plugin_instantiate(ap->plugin, rates[i], abuse_features);
    QUELL_CHECK(inst == NULL, "%u ch: instantiate at %g Hz succeeded", ap->channels, rates[i]);
    if (inst) lilv_instance_free(inst);
    QUELL_CHECK(abuse_log_lines - before == 1, "%u ch at %g Hz: %d log lines, want exactly 1",
                ap->channels, rates[i], abuse_log_lines - before);
  }
}

/* Under ASan, mallinfo2 sees nothing (ASan has its own allocator) and RSS includes the
 * quarantine of freed blocks, so the heap figure comes from ASan itself and RSS is not judged. */
#if defined(__SANITIZE_ADDRESS__)
size_t __sanitizer_get_current_allocated_bytes(void); /* in every ASan runtime, gcc's too */
#define ABUSE_JUDGE_RSS 0
static size_t abuse_heap(void) { return __sanitizer_get_current_allocated_bytes(); }
#else
#define ABUSE_JUDGE_RSS 1
static size_t abuse_heap(void)
{
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}
#endif

static long abuse_rss_kb(void)
{
  long pages = 0, rss = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    fclose(f);
  }
  return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void abuse_thousand(void)
{
  /* One instance stays alive throughout so lilv does not dlclose/dlopen the library between
   * iterations: the loader's own churn is not what is measured. */
  LilvInstance *keep = lilv_plugin_instantiate(abuse_plugins[0].plugin, 48000.0, abuse_features);
  QUELL_REQUIRE(keep, "instantiate failed");
  size_t heap_warm = 0;
  long rss_warm = 0;
  const int total = 1000, warm = 50;
  int failed = 0;
  static float out[2][ABUSE_BLOCK];
  for (int i = 0; i < total; i++) {
    if (i == warm) {
      heap_warm = abuse_heap();
      rss_warm = abuse_rss_kb();
    }
    const AbusePlugin *ap = &abuse_plugins[i % 2];
    LilvInstance *inst = lilv_plugin_instantiate(ap->plugin, i % 3 ? 48000.0 : 44100.0, abuse_features);
    if (!inst) {
      failed++;
      continue;
    }
    const LV2_Descriptor *d = lilv_instance_get_descriptor(inst);
    LV2_Handle h = lilv_instance_get_handle(inst);
    float ctl[ABUSE_MAX_PORTS];
    abuse_activate(d, h);
    abuse_feed(ap, d, h, ctl, (unsigned)i + 1, 1, out);
    abuse_deactivate(d, h);
    lilv_instance_free(inst);
  }
  const long heap_growth = (long)abuse_heap() - (long)heap_warm;
  const long rss_growth = abuse_rss_kb() - rss_warm;
  printf("1000 instances: heap %+ld bytes, RSS %+ld KiB from instance %d to %d\n", heap_growth,
         rss_growth, warm, total);
  QUELL_CHECK(failed == 0, "%d of %d instantiations failed", failed, total);
  /* 950 instances: a leak of even 64 bytes each would show as 60 KB. */
  QUELL_CHECK(heap_growth < 60 * 1024, "heap grew by %ld bytes over %d instances", heap_growth,
              total - warm);
  QUELL_CHECK(!ABUSE_JUDGE_RSS || rss_growth < 4 * 1024, "RSS grew by %ld KiB over %d instances", rss_growth,
              total - warm);
  lilv_instance_free(keep);
}

/* --- concurrent instantiation ------------------------------------------------------------ */
static const double abuse_thread_rates[] = {16000, 22050, 32000, 44100, 48000, 88200, 96000, 192000};
#define ABUSE_N_RATES 8
static float abuse_reference[2][ABUSE_N_RATES][ABUSE_BLOCK];

typedef struct {
  const LV2_Descriptor *desc[2];
  pthread_barrier_t *barrier;
  int index, iterations, failures, mismatches;
} AbuseThread;

/* Instantiates straight through the descriptor, as a host's worker thread would once it has
 * the library loaded: lilv's world is not meant to be shared between threads. */
static void abuse_one(const AbusePlugin *ap, const LV2_Descriptor *d, double rate, float *out0,
                      int *fail)
{
  LV2_Handle h = d->instantiate(d, rate, abuse_bundle_path, abuse_features);
  if (!h) {
    (*fail)++;
    return;
  }
  float in[2][ABUSE_BLOCK], out[2][ABUSE_BLOCK], ctl[ABUSE_MAX_PORTS];
  float *ins[2] = {in[0], in[1]}, *outs[2] = {out[0], out[1]};
  abuse_noise(in[0], ABUSE_BLOCK, 11);
  abuse_noise(in[1], ABUSE_BLOCK, 12);
  abuse_connect(ap, d, h, ctl, ins, outs);
  abuse_activate(d, h);
  d->run(h, ABUSE_BLOCK);
  memcpy(out0, out[0], sizeof(float) * ABUSE_BLOCK);
  abuse_deactivate(d, h);
  d->cleanup(h);
}

static void *abuse_thread_main(void *arg)
{
  AbuseThread *t = arg;
  static __thread float out[ABUSE_BLOCK];
  pthread_barrier_wait(t->barrier);
  for (int i = 0; i < t->iterations; i++) {
    /* The two threads walk the rates in opposite orders so their FFT sizes differ. */
    const int r = t->index ? ABUSE_N_RATES - 1 - i % ABUSE_N_RATES : i % ABUSE_N_RATES;
    const int v = (i / ABUSE_N_RATES + t->index) % 2;
    abuse_one(&abuse_plugins[v], t->desc[v], abuse_thread_rates[r], out, &t->failures);
    if (memcmp(out, abuse_reference[v][r], sizeof out) != 0) t->mismatches++;
  }
  return NULL;
}

static void abuse_concurrent(void)
{
  LilvInstance *keep[2];
  AbuseThread t[2];
  for (int v = 0; v < 2; v++) {
    keep[v] = lilv_plugin_instantiate(abuse_plugins[v].plugin, 48000.0, abuse_features);
    QUELL_REQUIRE(keep[v], "instantiate failed");
  }
  int fail = 0;
  for (int v = 0; v < 2; v++)
    for (int r = 0; r < ABUSE_N_RATES; r++)
      abuse_one(&abuse_plugins[v], lilv_instance_get_descriptor(keep[v]), abuse_thread_rates[r],
                abuse_reference[v][r], &fail);
  QUELL_REQUIRE(fail == 0, "reference instances failed");
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, 2);
  pthread_t th[2];
  const char *env = getenv("ABUSE_THREAD_ITERATIONS");
  const int iterations = env && atoi(env) > 0 ? atoi(env) : 160;
  for (int k = 0; k < 2; k++) {
    t[k] = (AbuseThread){{lilv_instance_get_descriptor(keep[0]), lilv_instance_get_descriptor(keep[1])},
                         &barrier, k, iterations, 0, 0};
    QUELL_REQUIRE(pthread_create(&th[k], NULL, abuse_thread_main, &t[k]) == 0, "pthread_create");
  }
  for (int k = 0; k < 2; k++) pthread_join(th[k], NULL);
  pthread_barrier_destroy(&barrier);
  printf("concurrent instantiation: 2 threads x %d instances, %d + %d failed, %d + %d differed\n",
         iterations, t[0].failures, t[1].failures, t[0].mismatches, t[1].mismatches);
  QUELL_CHECK(t[0].failures + t[1].failures == 0, "instantiations failed under concurrency");
  QUELL_CHECK(t[0].mismatches + t[1].mismatches == 0,
              "instances made concurrently process differently from ones made alone");
  for (int v = 0; v < 2; v++) lilv_instance_free(keep[v]);
}

/* --- LADSPA -------------------------------------------------------------------------------- */
static void abuse_ladspa(void)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/test-ladspa/quell_ladspa.so",
           getenv("BUILD") ? getenv("BUILD") : QUELL_ABUSE_BUILD);
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  QUELL_REQUIRE(lib, "dlopen %s: %s (make fixture-bundle)", path, dlerror());
  LADSPA_Descriptor_Function fn = (LADSPA_Descriptor_Function)(uintptr_t)dlsym(lib, "ladspa_descriptor");
  QUELL_REQUIRE(fn, "no ladspa_descriptor in %s", path);
  for (unsigned long v = 0; v < 2; v++) {
    const LADSPA_Descriptor *d = fn(v);
    QUELL_REQUIRE(d, "LADSPA descriptor %lu missing", v);
    QUELL_CHECK(d->instantiate(d, 8000) == NULL, "LADSPA %s instantiated at 8 kHz", d->Label);
    QUELL_CHECK(d->instantiate(d, 384000) == NULL, "LADSPA %s instantiated at 384 kHz", d->Label);
    QUELL_CHECK(d->instantiate(d, 0) == NULL, "LADSPA %s instantiated at 0 Hz", d->Label);
    LADSPA_Handle h = d->instantiate(d, 48000);
    QUELL_REQUIRE(h, "LADSPA %s at 48 kHz", d->Label);
    for (unsigned long p = 0; p < d->PortCount; p++) d->connect_port(h, p, NULL);
    d->run(h, 256); /* before activate, all NULL */
    if (d->activate) d->activate(h);
    d->run(h, 256);
    if (d->deactivate) d->deactivate(h);
    if (d->activate) d->activate(h);
    d->run(h, 0);
    d->cleanup(h);
  }
  dlclose(lib);
}

int main(void)
{
  const char *build = getenv("BUILD") ? getenv("BUILD") : QUELL_ABUSE_BUILD;
  char rel[4096];
  snprintf(rel, sizeof rel, "%s/test-lv2/quell.lv2", build);
  char *abs = realpath(rel, NULL);
  QUELL_REQUIRE(abs, "no fixture bundle at %s (make fixture-bundle)", rel);
  snprintf(abuse_bundle_path, sizeof abuse_bundle_path, "%s/", abs);
  free(abs);
  /* The plugin must take its weights from the bundle, not from the caller's environment. */
  unsetenv("QUELL_MODEL");

  abuse_world = lilv_world_new();
  char uri[4200];
  snprintf(uri, sizeof uri, "file://%s", abuse_bundle_path);
  LilvNode *bundle = lilv_new_uri(abuse_world, uri);
  lilv_world_load_bundle(abuse_world, bundle);
  lilv_node_free(bundle);
  abuse_describe(&abuse_plugins[0], ABUSE_URI_MONO);
  abuse_describe(&abuse_plugins[1], ABUSE_URI_STEREO);

  for (int v = 0; v < 2; v++) {
    abuse_null_ports(&abuse_plugins[v]);
    abuse_run_before_activate(&abuse_plugins[v]);
    abuse_reactivate(&abuse_plugins[v]);
    abuse_bad_rates(&abuse_plugins[v]);
  }
  abuse_ladspa();
  if (!getenv("ABUSE_SKIP_THOUSAND")) abuse_thousand();
  abuse_concurrent();

  lilv_world_free(abuse_world);
  for (int i = 0; i < abuse_n_urids; i++) free((void *)abuse_urids[i]);
  return quell_test_finish("test_host_abuse");
}
