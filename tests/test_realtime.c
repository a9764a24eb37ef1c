/* test_realtime — proves run() is realtime safe in the built plugins: no allocation, free, lock,
 * thread creation or wake-up, sleep, file or console I/O, mmap. It re-executes itself with
 * LD_PRELOAD=build/tests/rt_interposer.so, loads the system's default OpenBLAS (the pthread
 * variant, which takes a mutex in large sgemv calls) before the plugin, then hosts the fixture
 * bundle through lilv (mono and stereo; at 48 kHz once more with the inline display's queue_draw
 * feature, so the display's publication from run() is counted too) and the LADSPA .so through dlopen (both descriptors),
 * arming the interposer around each run() call only, over thousands of random block sizes
 * (0..4096) with random control changes, NaN bursts and denormals. It asserts zero counted calls
 * and no new threads (/proc/self/task) across all run() calls. Instantiate, activate and
 * cleanup are not under test (they may allocate). */
#include <dirent.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ladspa.h>

#include "../plugin/quell_lv2_inline_display.h"
#include "../plugin/quell_ports.h"
#include "test_lv2_host.h"

#define CHECK test_lv2_host_check
#define BLOCKS 2500
#define MAX_BLOCK 4096

#if defined(__SANITIZE_ADDRESS__)
#define RT_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RT_UNDER_ASAN 1
#endif
#endif

static void (*rt_arm)(int);
static void (*rt_reset)(void);
static unsigned long (*rt_total)(void);
static void (*rt_report)(char *, size_t);

static int count_threads(void) {
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  int n = 0;
  if (!d) return -1;
  while ((e = readdir(d))) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* Re-executes with the interposer preloaded (once). */
static void ensure_preloaded(char **argv) {
  char so[4096], rel[4096];
  if (getenv("QUELL_RT_INTERPOSED")) return;
  snprintf(rel, sizeof rel, "%s/tests/rt_interposer.so", test_lv2_host_build_dir());
  if (!realpath(rel, so)) test_lv2_host_die("%s missing: run `make check` (it builds it)", rel);
  setenv("LD_PRELOAD", so, 1);
  setenv("QUELL_RT_INTERPOSED", "1", 1);
  fflush(stdout);
  execv("/proc/self/exe", argv);
  test_lv2_host_die("execv failed");
}

/* Loads the system default libopenblas.so.0 first, as a host (numpy, another plugin) might have,
 * and makes sure it is the pthread variant; prints every OpenBLAS mapped. Returns 0, or -1 when
 * no pthread variant is installed. */
static int load_pthread_openblas(void) {
  static const char *const pthread_paths[] = {
      "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
      "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0"};
  FILE *maps;
  char line[4096], last[4096] = "";
  int pthread_seen = 0;
  size_t i;

  dlopen("libopenblas.so.0", RTLD_NOW | RTLD_GLOBAL);
  for (i = 0; i < sizeof pthread_paths / sizeof pthread_paths[0]; ++i) {
    if (access(pthread_paths[i], R_OK) == 0) dlopen(pthread_paths[i], RTLD_NOW | RTLD_GLOBAL);
  }
  maps = fopen("/proc/self/maps", "r");
  if (!maps) return -1;
  while (fgets(line, sizeof line, maps)) {
    const char *path = strchr(line, '/');
    if (path && strstr(path, "openblas") && strcmp(path, last) != 0) {
      snprintf(last, sizeof last, "%s", path);
      printf("mapped: %s", path);
      pthread_seen |= strstr(path, "openblas-pthread") != NULL ||
                      strstr(path, "libopenblasp-") != NULL;
    }
  }
  fclose(maps);
  return pthread_seen ? 0 : -1;
}

/* True when every OpenBLAS in the process is the pthread variant (checked after the plugin is
 * loaded: it must share the host's library, not bring its own). */
static int only_pthread_openblas(void) {
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[4096];
  int ok = 1;
  if (!maps) return 0;
  while (fgets(line, sizeof line, maps)) {
    const char *path = strchr(line, '/');
    if (path && strstr(path, "openblas") && !strstr(path, "openblas-pthread")) {
      printf("also mapped: %s", path);
      ok = 0;
    }
  }
  fclose(maps);
  return ok;
}

typedef struct {
  float *in[2], *out[2];
  uint32_t rng;
} Signal;

/* Fills one block of input: noise, silence, a NaN/Inf burst or denormals, at random. */
static void make_block(Signal *s, uint32_t channels, uint32_t n) {
  const uint32_t kind = test_lv2_host_rand(&s->rng) % 16;
  uint32_t c, t;
  for (c = 0; c < channels; ++c) {
    for (t = 0; t < n; ++t) {
      float x = test_lv2_host_noise(&s->rng, 0.3f);
      if (kind == 0) x = 0.0f;
      if (kind == 1 && t % 97 == 0) x = (t & 1) ? NAN : INFINITY;
      if (kind == 2) x *= 1e-38f;
      s->in[c][t] = x;
    }
  }
}

/* Random control settings, as automation would send them (in and sometimes out of range). */
static void random_controls(float *enabled, float *atten, float *gate, float *thr, float *hold,
                            float *floor_db, uint32_t *rng) {
  *enabled = test_lv2_host_rand(rng) % 5 ? 1.0f : 0.0f;
  *atten = (float)(test_lv2_host_rand(rng) % 120);
  *gate = (float)(test_lv2_host_rand(rng) % 2);
  *thr = (float)(test_lv2_host_rand(rng) % 100) / 80.0f;
  *hold = (float)(test_lv2_host_rand(rng) % 2500);
  *floor_db = -(float)(test_lv2_host_rand(rng) % 90);
}

static void report(const char *what, unsigned long blocks) {
  char buf[4096];
  const unsigned long total = rt_total();
  rt_report(buf, sizeof buf);
  printf("%-44s %lu run() calls: %lu forbidden calls %s\n", what, blocks, total, buf);
  CHECK(total == 0, "%s: run() made %lu forbidden calls: %s", what, total, buf);
  rt_reset();
}

/* The inline display's queue_draw, as a host offers it: run() calls it, so it must be realtime
 * safe here too (a counter). */
static volatile unsigned long queued_draws;
static void count_draw(void *handle) {
  (void)handle;
  queued_draws++;
}
static QuellLv2InlineDisplay display_queue = {NULL, count_draw};
static const LV2_Feature display_feature = {QUELL_LV2_INLINEDISPLAY__queue_draw, &display_queue};
static const LV2_Feature *const display_features[] = {&display_feature, NULL};

/* features: NULL, or display_features (the inline display publishing from run()). */
static void test_lv2(LilvWorld *world, const char *uri, double rate, Signal *s,
                     const LV2_Feature *const *features) {
  TestLv2Host h;
  unsigned long b;
  uint32_t c;
  char what[256];
  const unsigned long draws_before = queued_draws;

  if (test_lv2_host_open(&h, world, uri, rate, features) != 0) {
    CHECK(0, "<%s> failed to instantiate", uri);
    return;
  }
  lilv_instance_activate(h.instance);
  rt_reset();
  for (b = 0; b < BLOCKS; ++b) {
    const uint32_t n = test_lv2_host_rand(&s->rng) % (MAX_BLOCK + 1);
    const float *ip[2];
    float *op[2];
    if (b % 10 == 0) {
      random_controls(&h.control[test_lv2_host_port(&h, "enabled")],
                      &h.control[test_lv2_host_port(&h, "atten_limit")],
                      &h.control[test_lv2_host_port(&h, "gate")],
                      &h.control[test_lv2_host_port(&h, "gate_threshold")],
                      &h.control[test_lv2_host_port(&h, "gate_hold")],
                      &h.control[test_lv2_host_port(&h, "gate_floor")], &s->rng);
    }
    make_block(s, h.channels, n);
    for (c = 0; c < h.channels; ++c) {
      ip[c] = s->in[c];
      op[c] = (b & 1) ? s->in[c] : s->out[c]; /* in place every other call */
    }
    test_lv2_host_connect_audio(&h, ip, op);
    rt_arm(1);
    lilv_instance_run(h.instance, n);
    rt_arm(0);
  }
  snprintf(what, sizeof what, "LV2 %s %.0f Hz%s", uri, rate, features ? " +display" : "");
  report(what, BLOCKS);
  if (features) {
    printf("  (%lu queue_draw calls from run())\n", queued_draws - draws_before);
    CHECK(queued_draws > draws_before, "%s: the inline display never asked for a redraw", what);
  }
  test_lv2_host_close(&h);
}

/* --- live model swaps: a worker thread as hosts run it ------------------------------------ */
/* A single-producer single-consumer ring of worker messages: what a host's realtime-safe
 * schedule_work and respond use (no lock, no allocation, no wake-up: the worker polls). */
typedef struct {
  struct {
    uint32_t size;
    unsigned char data[1200];
  } msg[64];
  unsigned head, tail;
} SwapRing;

static LV2_Worker_Status ring_push(SwapRing *r, uint32_t size, const void *data) {
  const unsigned h = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
  if (h - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) == 64 || size > sizeof r->msg[0].data)
    return LV2_WORKER_ERR_NO_SPACE;
  r->msg[h % 64].size = size;
  memcpy(r->msg[h % 64].data, data, size);
  __atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
  return LV2_WORKER_SUCCESS;
}

/* Calls fn for each queued message; returns how many. */
static int ring_drain(SwapRing *r, void (*fn)(void *, uint32_t, const void *), void *user) {
  int n = 0;
  for (;;) {
    const unsigned t = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
    if (t == __atomic_load_n(&r->head, __ATOMIC_ACQUIRE)) return n;
    fn(user, r->msg[t % 64].size, r->msg[t % 64].data);
    __atomic_store_n(&r->tail, t + 1, __ATOMIC_RELEASE);
    n++;
  }
}

typedef struct {
  SwapRing requests, responses;
  const LV2_Worker_Interface *iface;
  LV2_Handle handle;
  int stop;
  unsigned long works;
} SwapWorker;

static LV2_Worker_Status swap_schedule(LV2_Worker_Schedule_Handle h, uint32_t size,
                                       const void *data) {
  return ring_push(&((SwapWorker *)h)->requests, size, data);
}
static LV2_Worker_Status swap_respond(LV2_Worker_Respond_Handle h, uint32_t size,
                                      const void *data) {
  return ring_push(&((SwapWorker *)h)->responses, size, data);
}
static void swap_work(void *user, uint32_t size, const void *data) {
  SwapWorker *w = user;
  w->iface->work(w->handle, swap_respond, w, size, data);
  w->works++;
}
static void swap_deliver(void *user, uint32_t size, const void *data) {
  SwapWorker *w = user;
  w->iface->work_response(w->handle, size, data);
}

/* The host's worker thread: loads, validates and frees models while the audio thread runs. */
static void *swap_worker_main(void *arg) {
  SwapWorker *w = arg;
  const struct timespec nap = {0, 200000};
  while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
    if (!ring_drain(&w->requests, swap_work, w)) nanosleep(&nap, NULL);
  }
  ring_drain(&w->requests, swap_work, w);
  return NULL;
}

/* 100 model swaps while processing: patch:Set of two blobs in turn every few blocks; a worker
 * thread loads each, run() takes it and hands the old one back. run() and work_response (the
 * audio thread's part) are counted; the worker thread, which may allocate, is not. */
static void test_lv2_swaps(LilvWorld *world, const char *uri, Signal *s, const char *dir) {
  static SwapWorker w;
  TestLv2Host h;
  LV2_Worker_Schedule sched = {&w, swap_schedule};
  const LV2_Feature f_map = {LV2_URID__map, test_lv2_host_map()};
  const LV2_Feature f_sched = {LV2_WORKER__schedule, &sched};
  const LV2_Feature *const features[] = {&f_map, &f_sched, NULL};
  pthread_t thread;
  char paths[2][512], last_info[300] = "", what[256];
  unsigned long b, swaps = 0, requests = 0;
  uint32_t c;

  memset(&w, 0, sizeof w);
  snprintf(paths[0], sizeof paths[0], "%s/a.qwb", dir);
  snprintf(paths[1], sizeof paths[1], "%s/b.qwb", dir);
  if (test_lv2_host_open(&h, world, uri, 48000.0, features) != 0) {
    CHECK(0, "<%s> failed to instantiate with the worker", uri);
    return;
  }
  w.iface = lilv_instance_get_extension_data(h.instance, LV2_WORKER__interface);
  w.handle = lilv_instance_get_handle(h.instance);
  if (!w.iface) test_lv2_host_die("<%s> has no worker interface", uri);
  test_lv2_host_connect_atoms(&h);
  lilv_instance_activate(h.instance);
  pthread_create(&thread, NULL, swap_worker_main, &w);
  rt_reset();
  for (b = 0; swaps < 100 && b < 40000; ++b) {
    const uint32_t n = test_lv2_host_rand(&s->rng) % (MAX_BLOCK + 1);
    const float *ip[2];
    float *op[2];
    if (b % 3 == 0) test_lv2_host_set_model(&h, paths[requests++ % 2]);
    make_block(s, h.channels, n);
    for (c = 0; c < h.channels; ++c) {
      ip[c] = s->in[c];
      op[c] = (b & 1) ? s->in[c] : s->out[c];
    }
    test_lv2_host_connect_audio(&h, ip, op);
    test_lv2_host_atoms_ready(&h);
    rt_arm(1);
    lilv_instance_run(h.instance, n);
    ring_drain(&w.responses, swap_deliver, &w); /* hosts deliver responses after run() */
    rt_arm(0);
    test_lv2_host_atoms_read(&h);
    if (strcmp(h.model_info, last_info) != 0) {
      if (last_info[0] && strncmp(h.model_info, "shipped", 7) != 0) swaps++;
      snprintf(last_info, sizeof last_info, "%s", h.model_info);
    }
  }
  __atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
  pthread_join(thread, NULL);
  snprintf(what, sizeof what, "LV2 %s, %lu model swaps", uri, swaps);
  report(what, b);
  printf("  (%lu patch:Set sent, %lu worker jobs, active model now %s)\n", requests, w.works,
         h.model_info);
  CHECK(swaps >= 100, "%s: only %lu swaps in %lu blocks", uri, swaps, b);
  test_lv2_host_close(&h);
}

static void test_ladspa(const LADSPA_Descriptor *d, unsigned long rate, Signal *s) {
  float control[32];
  unsigned long p, ports_in[2], ports_out[2], n_in = 0, n_out = 0, b;
  long idx[6] = {-1, -1, -1, -1, -1, -1};
  LADSPA_Handle h = d->instantiate(d, rate);
  char what[256];

  if (!h) {
    CHECK(0, "%s failed to instantiate", d->Label);
    return;
  }
  for (p = 0; p < d->PortCount && p < 32; ++p) {
    const LADSPA_PortDescriptor pd = d->PortDescriptors[p];
    if (LADSPA_IS_PORT_AUDIO(pd)) {
      if (LADSPA_IS_PORT_INPUT(pd)) ports_in[n_in++ & 1] = p; else ports_out[n_out++ & 1] = p;
    } else {
      /* Controls follow the audio ports in table order (plugin/quell_ports.h). */
      const long k = (long)p - (long)(d->PortCount - QUELL_CONTROL_COUNT);
      control[p] = 0.0f;
      if (k == QUELL_CONTROL_ENABLED) idx[0] = (long)p;
      if (k == QUELL_CONTROL_ATTEN_LIMIT) idx[1] = (long)p;
      if (k == QUELL_CONTROL_GATE) idx[2] = (long)p;
      if (k == QUELL_CONTROL_GATE_THRESHOLD) idx[3] = (long)p;
      if (k == QUELL_CONTROL_GATE_HOLD) idx[4] = (long)p;
      if (k == QUELL_CONTROL_GATE_FLOOR) idx[5] = (long)p;
      d->connect_port(h, p, &control[p]);
    }
  }
  for (p = 0; p < 6; ++p) {
    if (idx[p] < 0) test_lv2_host_die("%s: control inputs not where expected", d->Label);
  }
  if (d->activate) d->activate(h);
  rt_reset();
  for (b = 0; b < BLOCKS; ++b) {
    const uint32_t n = test_lv2_host_rand(&s->rng) % (MAX_BLOCK + 1);
    unsigned long c;
    if (b % 10 == 0) {
      random_controls(&control[idx[0]], &control[idx[1]], &control[idx[2]], &control[idx[3]],
                      &control[idx[4]], &control[idx[5]], &s->rng);
    }
    make_block(s, (uint32_t)n_in, n);
    for (c = 0; c < n_in; ++c) {
      d->connect_port(h, ports_in[c], s->in[c]);
      d->connect_port(h, ports_out[c], (b & 1) ? s->in[c] : s->out[c]);
    }
    rt_arm(1);
    d->run(h, n);
    rt_arm(0);
  }
  snprintf(what, sizeof what, "LADSPA %s %lu Hz", d->Label, rate);
  report(what, BLOCKS);
  d->cleanup(h);
}

int main(int argc, char **argv) {
  static const char *const uris[] = {QUELL_URI_MONO, QUELL_URI_STEREO};
  char so[4096];
  Signal s;
  LilvWorld *world;
  void *lib;
  LADSPA_Descriptor_Function fn;
  int threads_before, threads_after;
  size_t u;

  (void)argc;
#ifdef RT_UNDER_ASAN
  printf("skipped: built with AddressSanitizer, whose allocator replaces the interposed one\n");
  return 77;
#endif
  ensure_preloaded(argv);
  rt_arm = (void (*)(int))(uintptr_t)dlsym(RTLD_DEFAULT, "rt_interposer_arm");
  rt_reset = (void (*)(void))(uintptr_t)dlsym(RTLD_DEFAULT, "rt_interposer_reset");
  rt_total = (unsigned long (*)(void))(uintptr_t)dlsym(RTLD_DEFAULT, "rt_interposer_total");
  rt_report = (void (*)(char *, size_t))(uintptr_t)dlsym(RTLD_DEFAULT, "rt_interposer_report");
  if (!rt_arm || !rt_reset || !rt_total || !rt_report) {
    test_lv2_host_die("rt_interposer not preloaded (LD_PRELOAD=%s)", getenv("LD_PRELOAD"));
  }

  /* The interposer must see what it is meant to see, or a zero proves nothing. */
  {
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    void *volatile p;
    rt_reset();
    rt_arm(1);
    p = malloc(64);
    free(p);
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    rt_arm(0);
    CHECK(rt_total() == 3, "interposer self-test: counted %lu of 3 calls", rt_total());
    rt_reset();
  }

  if (load_pthread_openblas() != 0) {
    printf("skipped: no pthread OpenBLAS (libopenblas0-pthread) to test against\n");
    return 77;
  }

  /* ...and it must see OpenBLAS's own lock: a 384 x 1152 sgemv (above the 9216-element
   * threshold in ENGINEERING-NOTES.md) takes a mutex in the pthread variant. */
  {
    typedef void (*Sgemv)(int, int, int, int, float, const float *, int, const float *, int,
                          float, float *, int);
    const Sgemv sgemv = (Sgemv)(uintptr_t)dlsym(RTLD_DEFAULT, "cblas_sgemv");
    float *a = calloc(384 * 1152, sizeof(float)), *x = calloc(1152, sizeof(float)),
          *y = calloc(384, sizeof(float));
    if (!sgemv || !a || !x || !y) test_lv2_host_die("cannot run the OpenBLAS probe");
    sgemv(101 /* CblasRowMajor */, 111 /* CblasNoTrans */, 384, 1152, 1.0f, a, 1152, x, 1, 0.0f,
          y, 1);
    rt_reset();
    rt_arm(1);
    sgemv(101, 111, 384, 1152, 1.0f, a, 1152, x, 1, 0.0f, y, 1);
    rt_arm(0);
    {
      char buf[2048];
      rt_report(buf, sizeof buf);
      printf("probe: one 384x1152 cblas_sgemv in the pthread OpenBLAS makes %lu counted calls: "
             "%s\n",
             rt_total(), buf);
    }
    CHECK(rt_total() > 0, "the interposer does not see OpenBLAS's lock: a zero below proves "
                          "nothing");
    rt_reset();
    free(a);
    free(x);
    free(y);
  }

  s.rng = 0x1234567u;
  for (u = 0; u < 2; ++u) {
    s.in[u] = calloc(MAX_BLOCK, sizeof(float));
    s.out[u] = calloc(MAX_BLOCK, sizeof(float));
  }

  world = test_lv2_host_world();
  for (u = 0; u < 2; ++u) {
    TestLv2Host warm;
    /* Count threads after one instance exists, so threads a library starts at load time are in
     * the baseline; then no run() may add any. */
    if (test_lv2_host_open(&warm, world, uris[u], 48000.0, NULL) == 0) test_lv2_host_close(&warm);
  }
  threads_before = count_threads();
  CHECK(only_pthread_openblas(), "an OpenBLAS other than the pthread variant got mapped");
  for (u = 0; u < 2; ++u) {
    test_lv2(world, uris[u], 48000.0, &s, NULL);
    test_lv2(world, uris[u], 44100.0, &s, NULL);
    test_lv2(world, uris[u], 48000.0, &s, display_features);
  }
  threads_after = count_threads();
  printf("threads: %d before LV2 runs, %d after\n", threads_before, threads_after);
  {
    /* Two fixture blobs for the swaps, by the fixture tool (this test must not link the engine
     * and its OpenBLAS: it loads the pthread variant itself); the second has input lag taps
     * 1, 2, 4, 8, 16 like the shipped network, so swaps change the network's shape and run() goes
     * through the taps. */
    char dir[] = "/tmp/quell-rt-swap-XXXXXX", cmd[900];
    if (!mkdtemp(dir)) test_lv2_host_die("mkdtemp failed");
    snprintf(cmd, sizeof cmd, "%s/tests/quell-fixture-blob %s/a.qwb 500 && %s/tests/quell-fixture-blob %s/b.qwb 501 0x10116",
             test_lv2_host_build_dir(), dir, test_lv2_host_build_dir(), dir);
    if (system(cmd) != 0) test_lv2_host_die("%s failed", cmd);
    for (u = 0; u < 2; ++u) test_lv2_swaps(world, uris[u], &s, dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("could not remove %s\n", dir);
  }
  CHECK(threads_after == threads_before, "LV2: thread count went from %d to %d", threads_before,
        threads_after);
  lilv_world_free(world);

  snprintf(so, sizeof so, "%s/test-ladspa/quell_ladspa.so", test_lv2_host_build_dir());
  unsetenv("QUELL_MODEL");
  lib = dlopen(so, RTLD_NOW | RTLD_LOCAL);
  if (!lib) test_lv2_host_die("dlopen %s: %s (run `make fixture-bundle`)", so, dlerror());
  fn = (LADSPA_Descriptor_Function)(uintptr_t)dlsym(lib, "ladspa_descriptor");
  if (!fn || !fn(0) || !fn(1)) test_lv2_host_die("%s: no descriptors", so);
  threads_before = count_threads();
  test_ladspa(fn(0), 48000, &s);
  test_ladspa(fn(1), 96000, &s);
  threads_after = count_threads();
  printf("threads: %d before LADSPA runs, %d after\n", threads_before, threads_after);
  CHECK(threads_after == threads_before, "LADSPA: thread count went from %d to %d",
        threads_before, threads_after);
  dlclose(lib);

  for (u = 0; u < 2; ++u) {
    free(s.in[u]);
    free(s.out[u]);
  }
  printf("%s: %d failure(s)\n", test_lv2_host_failures ? "FAIL" : "PASS", test_lv2_host_failures);
  return test_lv2_host_failures ? 1 : 0;
}
