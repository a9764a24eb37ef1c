/* quell_jack.c — quell-jack: runs a Quell variant (any LV2 plugin URI) on the JACK process thread.
 *
 *   quell-jack [--uri URI | --stereo] [--set SYM=VAL] [--preset NAME] MODE
 *   MODE: --latency [--periods N,N,..]   measured vs reported vs published latency, one row each
 *         --load SECONDS [--periods ..] [--jack-input]  time in run() per period: mean, p99,
 *                                        max; xruns
 *         --live [--duration S]          system capture -> Quell -> system playback, meters 1/s
 *
 * --latency: inside the JACK process callback the plugin's inputs are fed a test pattern (an
 * impulse, then a Hann-shaped chirp, every quarter second) indexed by the client's own running
 * sample count, and its outputs are recorded against the same count. The delay is the position of
 * the impulse's peak and of the chirp's cross-correlation peak; both must equal the latency the
 * plugin reports on its lv2:latency port. Counting our own samples (not JACK's frame clock) keeps
 * the measurement exact when the server skips whole cycles, which timer-driven dummy servers on
 * a busy machine do. The same process holds two probe clients wired "<name>_src" -> "<name>" ->
 * "<name>_sink": JACK's own latency computation must then report the published latency as the
 * capture latency of the sink's input and the playback latency of the source's output — what a
 * downstream, PDC-aware client sees — so all three numbers are compared to the sample.
 *
 * --load feeds the plugin white noise (about -30 dBFS, a fixed generator per channel) in place of
 * JACK's input, so what is timed is the plugin at work: on unconnected ports JACK delivers digital
 * silence, in which Quell rests after a second (its estimator reset, no inference) and run()
 * costs a few microseconds. --jack-input times whatever the server delivers instead.
 *
 * --load times every run() twice: by the wall clock, which is what the period has to hold, and by
 * the process thread's own CPU clock, which counts only what this thread ran (page faults and
 * syscalls included) and not the time the kernel gave the core to something else. On a shared
 * or virtual machine a single run() can take several periods of wall time without using more
 * than its usual few hundred microseconds of CPU (the thread was preempted); the CPU time of the
 * longest cycle tells that apart from the plugin itself being slow. Only that cycle's CPU time is
 * printed: on the 2-core VM this was written on, the thread CPU clock of single short cycles
 * sometimes advanced by several milliseconds more than the wall clock did (hypervisor time
 * charged to the running thread, presumably), so a maximum of CPU time alone over all cycles
 * would blame the plugin for the machine.
 *
 * The process callbacks only copy, run the plugin and read clock_gettime (CLOCK_MONOTONIC, vDSO;
 * with --load also CLOCK_THREAD_CPUTIME_ID, a non-blocking syscall); they never allocate, lock
 * or print. Counters shared with the main thread are C11 atomics.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jack/jack.h>

#include "quell_host.h"

#define QUELL_JACK_URI_MONO "https://github.com/quell-audio/quell#mono"
#define QUELL_JACK_URI_STEREO "https://github.com/quell-audio/quell#stereo"

/* JACK2's largest buffer size; the plugin is told blocks never exceed it. */
#define QUELL_JACK_MAX_BLOCK 8192
#define QUELL_JACK_MAX_SETS 32
#define QUELL_JACK_MAX_PERIODS 16
/* Windows measured per buffer size; all must agree. */
#define QUELL_JACK_WINDOWS 2

enum { QUELL_JACK_EXIT_DISAGREE = 1, QUELL_JACK_EXIT_USAGE = 2, QUELL_JACK_EXIT_NOSERVER = 3,
       QUELL_JACK_EXIT_PLUGIN = 4 };

static volatile sig_atomic_t quell_jack_stop, quell_jack_server_gone;
static void quell_jack_on_signal(int sig) {
  (void)sig;
  quell_jack_stop = 1;
}

/* JACK calls this (from its own thread) when the server shuts down or drops the client. */
static void quell_jack_on_shutdown(void *arg) {
  (void)arg;
  quell_jack_server_gone = 1;
  quell_jack_stop = 1;
}

static int quell_jack_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int quell_jack_fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("quell-jack: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return code;
}

/* Bit-copies of floats through atomics (meters read by the main thread). */
static void quell_jack_store_float(atomic_uint *a, float v) {
  uint32_t u;
  memcpy(&u, &v, sizeof u);
  atomic_store_explicit(a, u, memory_order_relaxed);
}
static float quell_jack_load_float(atomic_uint *a) {
  const uint32_t u = atomic_load_explicit(a, memory_order_relaxed);
  float v;
  memcpy(&v, &u, sizeof v);
  return v;
}

typedef struct QuellJackProbe QuellJackProbe;

/* Everything the plugin host client's process thread touches. */
typedef struct {
  jack_client_t *client;
  jack_port_t *in[QUELL_HOST_MAX_AUDIO], *out[QUELL_HOST_MAX_AUDIO];
  QuellHostInstance *inst;
  atomic_uint published;       /* latency published on the ports, frames */
  atomic_int latency_changed;  /* the plugin wrote a latency other than the published one */
  atomic_uint gaps;            /* cycles skipped: breaks in the frame clock seen by this client */
  atomic_uint nframes;         /* last period size */
  atomic_uint xruns;
  atomic_uint voice, reduction; /* float bits */
  atomic_int too_long;         /* a period longer than QUELL_JACK_MAX_BLOCK (skipped) */
  int32_t voice_port, reduction_port; /* meter ports, -1 if the plugin lacks them */
  QuellJackProbe *probe;       /* --latency only: feed the pattern, record the output */
  uint64_t stream_pos;         /* samples the plugin has processed (process thread only) */
  _Atomic uint64_t stream_pos_pub;
  int activated;
  jack_nframes_t expect;
  int have_expect;
  /* --load: run() durations in ns (wall clock, and the thread's CPU clock), preallocated */
  uint32_t *run_ns;
  uint32_t *run_cpu_ns;
  uint32_t run_cap;
  float *load_in[QUELL_HOST_MAX_AUDIO]; /* --load: QUELL_JACK_MAX_BLOCK each, the noise fed in */
  uint32_t load_rng[QUELL_HOST_MAX_AUDIO];
  atomic_uint run_count;
  atomic_int collect;
} QuellJackHost;

/* --latency: the pattern, the recording window (used by the host's process thread) and the
 * probe clients that check JACK's latency view. */
struct QuellJackProbe {
  jack_client_t *src, *sink;
  jack_port_t *src_out[QUELL_HOST_MAX_AUDIO], *sink_in[QUELL_HOST_MAX_AUDIO];
  uint32_t channels;
  double rate;
  uint32_t period;             /* pattern period P, frames */
  uint32_t chirp_at, chirp_len;
  float *chirp;                /* chirp_len samples */
  float *pattern[QUELL_HOST_MAX_AUDIO]; /* QUELL_JACK_MAX_BLOCK each: this period's input */
  /* one recording window, armed by the main thread, in plugin-stream sample counts */
  float *rec[QUELL_HOST_MAX_AUDIO];
  uint32_t rec_len;
  _Atomic uint64_t rec_start;
  atomic_uint rec_filled;
  atomic_int armed;
};

static int quell_jack_probe_alloc(QuellJackProbe *pr, const QuellHostInstance *inst, double rate);

/* The pattern at stream position f: an impulse at the start of each period, a Hann-shaped linear
 * chirp a quarter period later, silence elsewhere (so each response stands alone). */
static float quell_jack_pattern(const QuellJackProbe *pr, uint64_t f) {
  const uint32_t pos = (uint32_t)(f % pr->period);
  if (pos == 0) return 0.5f;
  if (pos >= pr->chirp_at && pos < pr->chirp_at + pr->chirp_len) return pr->chirp[pos - pr->chirp_at];
  return 0.0f;
}

static void quell_jack_clock(jack_client_t *c, jack_nframes_t n, jack_nframes_t *expect,
                             int *have, atomic_uint *gaps) {
  const jack_nframes_t t = jack_last_frame_time(c);
  if (*have && t != *expect) atomic_fetch_add(gaps, 1);
  *expect = t + n;
  *have = 1;
}

static uint64_t quell_jack_clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t quell_jack_now_ns(void) { return quell_jack_clock_ns(CLOCK_MONOTONIC); }

/* JACK process thread of the plugin host: connect, run, note time and meters. */
static int quell_jack_host_process(jack_nframes_t n, void *arg) {
  QuellJackHost *h = arg;
  QuellHostInstance *inst = h->inst;
  quell_jack_clock(h->client, n, &h->expect, &h->have_expect, &h->gaps);
  atomic_store_explicit(&h->nframes, n, memory_order_relaxed);
  if (n > QUELL_JACK_MAX_BLOCK) { /* never promised to the plugin: output silence */
    for (uint32_t k = 0; k < inst->n_audio_out; k++)
      memset(jack_port_get_buffer(h->out[k], n), 0, n * sizeof(float));
    atomic_store(&h->too_long, 1);
    return 0;
  }
  QuellJackProbe *pr = h->probe;
  const uint64_t pos = h->stream_pos;
  for (uint32_t k = 0; k < inst->n_audio_in; k++) {
    float *in = jack_port_get_buffer(h->in[k], n);
    if (pr) { /* --latency: the pattern replaces whatever JACK delivered */
      in = pr->pattern[k < pr->channels ? k : 0];
      for (jack_nframes_t i = 0; i < n; i++) in[i] = quell_jack_pattern(pr, pos + i);
    } else if (h->load_in[k]) { /* --load: white noise, uniform in +-0.055 (about -30 dBFS RMS) */
      in = h->load_in[k];
      uint32_t x = h->load_rng[k];
      for (jack_nframes_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u; /* LCG (Numerical Recipes) */
        in[i] = ((float)(x >> 8) * (1.0f / 16777216.0f) - 0.5f) * 0.11f;
      }
      h->load_rng[k] = x;
    }
    lilv_instance_connect_port(inst->instance, inst->audio_in[k], in);
  }
  for (uint32_t k = 0; k < inst->n_audio_out; k++)
    lilv_instance_connect_port(inst->instance, inst->audio_out[k],
                               jack_port_get_buffer(h->out[k], n));
  /* The CPU clock is a syscall: read it only while --load collects. */
  const int collect = atomic_load_explicit(&h->collect, memory_order_acquire);
  const uint64_t c0 = collect ? quell_jack_clock_ns(CLOCK_THREAD_CPUTIME_ID) : 0;
  const uint64_t t0 = quell_jack_now_ns();
  lilv_instance_run(inst->instance, n);
  const uint64_t t1 = quell_jack_now_ns();
  const uint64_t c1 = collect ? quell_jack_clock_ns(CLOCK_THREAD_CPUTIME_ID) : 0;
  if (pr && atomic_load_explicit(&pr->armed, memory_order_acquire)) {
    const uint64_t start = atomic_load_explicit(&pr->rec_start, memory_order_relaxed);
    uint32_t filled = atomic_load_explicit(&pr->rec_filled, memory_order_relaxed);
    const float *outs[QUELL_HOST_MAX_AUDIO];
    for (uint32_t k = 0; k < pr->channels; k++) outs[k] = jack_port_get_buffer(h->out[k], n);
    for (jack_nframes_t i = 0; i < n; i++) {
      if (pos + i < start || pos + i - start >= pr->rec_len) continue;
      for (uint32_t k = 0; k < pr->channels; k++) pr->rec[k][pos + i - start] = outs[k][i];
      filled++;
    }
    atomic_store_explicit(&pr->rec_filled, filled, memory_order_release);
  }
  h->stream_pos = pos + n;
  atomic_store_explicit(&h->stream_pos_pub, pos + n, memory_order_release);
  if (collect) {
    const uint32_t i = atomic_load_explicit(&h->run_count, memory_order_relaxed);
    if (i < h->run_cap) {
      const uint64_t d = t1 - t0, dc = c1 - c0;
      h->run_ns[i] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
      h->run_cpu_ns[i] = dc > UINT32_MAX ? UINT32_MAX : (uint32_t)dc;
      atomic_store_explicit(&h->run_count, i + 1, memory_order_release);
    }
  }
  const float lat = quell_host_instance_latency(inst);
  if (lat >= 0 && (uint32_t)lrintf(lat) != atomic_load_explicit(&h->published, memory_order_relaxed))
    atomic_store(&h->latency_changed, 1);
  if (h->voice_port >= 0) quell_jack_store_float(&h->voice, inst->values[h->voice_port]);
  if (h->reduction_port >= 0)
    quell_jack_store_float(&h->reduction, inst->values[h->reduction_port]);
  return 0;
}

/* JACK latency callback (JACK's notification thread): our outputs lag our inputs by the plugin's
 * latency, in both directions of the graph. */
static void quell_jack_host_latency(jack_latency_callback_mode_t mode, void *arg) {
  QuellJackHost *h = arg;
  const jack_nframes_t lat = atomic_load(&h->published);
  jack_latency_range_t range;
  if (mode == JackCaptureLatency) {
    jack_latency_range_t up = {UINT32_MAX, 0};
    for (uint32_t k = 0; k < h->inst->n_audio_in; k++) {
      jack_port_get_latency_range(h->in[k], JackCaptureLatency, &range);
      if (range.min < up.min) up.min = range.min;
      if (range.max > up.max) up.max = range.max;
    }
    if (up.min > up.max) up.min = up.max = 0;
    range = (jack_latency_range_t){up.min + lat, up.max + lat};
    for (uint32_t k = 0; k < h->inst->n_audio_out; k++)
      jack_port_set_latency_range(h->out[k], JackCaptureLatency, &range);
  } else {
    jack_latency_range_t down = {UINT32_MAX, 0};
    for (uint32_t k = 0; k < h->inst->n_audio_out; k++) {
      jack_port_get_latency_range(h->out[k], JackPlaybackLatency, &range);
      if (range.min < down.min) down.min = range.min;
      if (range.max > down.max) down.max = range.max;
    }
    if (down.min > down.max) down.min = down.max = 0;
    range = (jack_latency_range_t){down.min + lat, down.max + lat};
    for (uint32_t k = 0; k < h->inst->n_audio_in; k++)
      jack_port_set_latency_range(h->in[k], JackPlaybackLatency, &range);
  }
}

static int quell_jack_host_xrun(void *arg) {
  QuellJackHost *h = arg;
  atomic_fetch_add(&h->xruns, 1);
  return 0;
}

typedef struct {
  const char *uri, *server, *name, *preset;
  const char *model; /* --model FILE: set through the plugin's model parameter */
  const char *sets[QUELL_JACK_MAX_SETS];
  int n_sets;
  int latency, live, jack_input;
  double load_s, duration_s;
  uint32_t periods[QUELL_JACK_MAX_PERIODS];
  int n_periods;
} QuellJackOptions;

static void quell_jack_usage(FILE *f) {
  fputs("usage: quell-jack [--uri URI | --stereo] [--server NAME] [--name CLIENT]\n"
        "                  [--preset NAME] [--set SYM=VAL ...] [--model FILE] MODE\n"
        "  --model FILE           weights (.qwb, e.g. from quell-adapt) through the plugin's model\n"
        "                         parameter, loaded before processing starts\n"
        "MODE:\n"
        "  --latency              measure the plugin's delay in JACK (impulse + chirp) and compare\n"
        "                         with its latency port and the latency published to JACK\n"
        "  --load SECONDS         time spent in run() per period: mean, p99, max; xrun count;\n"
        "                         the plugin is fed white noise (-30 dBFS) so that it works\n"
        "  --jack-input           with --load: time it on the server's input instead (silence\n"
        "                         on unconnected ports, where Quell rests after a second)\n"
        "  --live                 system capture -> Quell -> system playback, meters once a second\n"
        "  --periods N,N,...      with --latency/--load: switch the server's buffer size to each N\n"
        "  --duration S           with --live: stop after S seconds (default: until Ctrl-C)\n"
        "The server must be running (JACK_DEFAULT_SERVER or --server pick it); plugins are found\n"
        "on LV2_PATH. Exit: 0 ok, 1 latency disagreement or failed measurement, 2 usage,\n"
        "3 no JACK server, 4 plugin unavailable.\n",
        f);
}

static int quell_jack_parse(int argc, char **argv, QuellJackOptions *o) {
  o->uri = QUELL_JACK_URI_MONO;
  o->name = "quell";
  o->load_s = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const int has = i + 1 < argc;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      quell_jack_usage(stdout);
      return 0;
    } else if (!strcmp(a, "--uri") && has) {
      o->uri = argv[++i];
    } else if (!strcmp(a, "--stereo")) {
      o->uri = QUELL_JACK_URI_STEREO;
    } else if (!strcmp(a, "--mono")) {
      o->uri = QUELL_JACK_URI_MONO;
    } else if (!strcmp(a, "--server") && has) {
      o->server = argv[++i];
    } else if (!strcmp(a, "--name") && has) {
      o->name = argv[++i];
    } else if (!strcmp(a, "--preset") && has) {
      o->preset = argv[++i];
    } else if (!strcmp(a, "--model") && has) {
      o->model = argv[++i];
    } else if (!strcmp(a, "--set") && has) {
      if (o->n_sets == QUELL_JACK_MAX_SETS)
        return quell_jack_fail(QUELL_JACK_EXIT_USAGE, "too many --set options");
      o->sets[o->n_sets++] = argv[++i];
    } else if (!strcmp(a, "--latency")) {
      o->latency = 1;
    } else if (!strcmp(a, "--live")) {
      o->live = 1;
    } else if (!strcmp(a, "--load") && has) {
      o->load_s = atof(argv[++i]);
      if (!(o->load_s > 0))
        return quell_jack_fail(QUELL_JACK_EXIT_USAGE, "--load wants a positive number of seconds");
    } else if (!strcmp(a, "--jack-input")) {
      o->jack_input = 1;
    } else if (!strcmp(a, "--duration") && has) {
      o->duration_s = atof(argv[++i]);
    } else if (!strcmp(a, "--periods") && has) {
      char *s = argv[++i], *end;
      while (*s) {
        const long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > QUELL_JACK_MAX_BLOCK || o->n_periods == QUELL_JACK_MAX_PERIODS)
          return quell_jack_fail(QUELL_JACK_EXIT_USAGE, "--periods wants up to %d sizes 1..%d",
                                 QUELL_JACK_MAX_PERIODS, QUELL_JACK_MAX_BLOCK);
        o->periods[o->n_periods++] = (uint32_t)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
          return quell_jack_fail(QUELL_JACK_EXIT_USAGE, "--periods: bad list");
      }
    } else {
      return quell_jack_fail(QUELL_JACK_EXIT_USAGE, "unknown or incomplete option '%s' (try --help)",
                             a);
    }
  }
  if (o->latency + o->live + (o->load_s > 0) != 1)
    return quell_jack_fail(QUELL_JACK_EXIT_USAGE, "choose one of --latency, --load S, --live");
  return -1;
}

static jack_client_t *quell_jack_open(const char *name, const char *server) {
  jack_status_t status;
  jack_options_t opts = JackNoStartServer | JackUseExactName | (server ? JackServerName : 0);
  return server ? jack_client_open(name, opts, &status, server)
                : jack_client_open(name, opts, &status);
}

static void quell_jack_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) && errno == EINTR && !quell_jack_stop) {
  }
}

/* Asks the server for buffer size n and waits until our process callback sees it. */
static int quell_jack_set_period(QuellJackHost *h, uint32_t n) {
  if (jack_get_buffer_size(h->client) != n && jack_set_buffer_size(h->client, n) != 0)
    return quell_jack_fail(QUELL_JACK_EXIT_DISAGREE, "the server refused buffer size %u", n);
  for (int i = 0; i < 500 && !quell_jack_stop; i++) {
    if (atomic_load(&h->nframes) == n) return 0;
    quell_jack_sleep_ms(10);
  }
  return quell_jack_fail(QUELL_JACK_EXIT_DISAGREE, "buffer size %u never reached the client", n);
}

/* Sets up the plugin host client (not yet activated). */
static int quell_jack_host_open(QuellJackHost *h, QuellHost *host, const QuellJackOptions *o) {
  h->client = quell_jack_open(o->name, o->server);
  if (!h->client)
    return quell_jack_fail(QUELL_JACK_EXIT_NOSERVER, "cannot connect to JACK server '%s' (is "
                           "jackd running? e.g. jackd -d dummy -r 48000 -p 256)",
                           o->server ? o->server : getenv("JACK_DEFAULT_SERVER")
                                                     ? getenv("JACK_DEFAULT_SERVER") : "default");
  const double rate = jack_get_sample_rate(h->client);
  char err[1024];
  h->inst = quell_host_instance_new(host, o->uri, rate, QUELL_JACK_MAX_BLOCK, err, sizeof err);
  if (!h->inst) return quell_jack_fail(QUELL_JACK_EXIT_PLUGIN, "%s", err);
  if (h->inst->n_audio_in == 0 || h->inst->n_audio_out == 0)
    return quell_jack_fail(QUELL_JACK_EXIT_PLUGIN, "<%s> has no audio inputs or outputs", o->uri);
  if (o->preset && quell_host_instance_apply_preset(host, h->inst, o->preset, err, sizeof err))
    return quell_jack_fail(QUELL_JACK_EXIT_USAGE, "%s", err);
  if (o->model) {
    /* Before activation: this host's worker runs synchronously, never in the process callback. */
    char info[300];
    if (quell_host_instance_set_model(host, h->inst, o->model, info, sizeof info, err, sizeof err))
      return quell_jack_fail(QUELL_JACK_EXIT_PLUGIN, "--model %s: %s", o->model, err);
    printf("model: %s\n", info);
  }
  for (int i = 0; i < o->n_sets; i++) {
    char sym[128];
    const char *eq = strchr(o->sets[i], '=');
    char *end = NULL;
    const float v = eq ? strtof(eq + 1, &end) : NAN;
    if (!eq || (size_t)(eq - o->sets[i]) >= sizeof sym || end == eq + 1 || *end)
      return quell_jack_fail(QUELL_JACK_EXIT_USAGE, "--set wants SYMBOL=NUMBER, got '%s'",
                             o->sets[i]);
    memcpy(sym, o->sets[i], (size_t)(eq - o->sets[i]));
    sym[eq - o->sets[i]] = '\0';
    if (quell_host_instance_set(h->inst, sym, v, err, sizeof err))
      return quell_jack_fail(QUELL_JACK_EXIT_USAGE, "%s", err);
  }
  for (uint32_t k = 0; k < h->inst->n_audio_in; k++) {
    char pname[64];
    snprintf(pname, sizeof pname, "%s", h->inst->ports[h->inst->audio_in[k]].symbol);
    h->in[k] = jack_port_register(h->client, pname, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
  }
  for (uint32_t k = 0; k < h->inst->n_audio_out; k++) {
    char pname[64];
    snprintf(pname, sizeof pname, "%s", h->inst->ports[h->inst->audio_out[k]].symbol);
    h->out[k] = jack_port_register(h->client, pname, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
  }
  for (uint32_t k = 0; k < h->inst->n_audio_in; k++)
    if (!h->in[k]) return quell_jack_fail(QUELL_JACK_EXIT_NOSERVER, "cannot register JACK ports");
  for (uint32_t k = 0; k < h->inst->n_audio_out; k++)
    if (!h->out[k]) return quell_jack_fail(QUELL_JACK_EXIT_NOSERVER, "cannot register JACK ports");

  /* Activate and run one silent block before JACK starts calling us, as Ardour does, so the
   * latency port holds its value before anything is published. */
  static float silence[QUELL_JACK_MAX_BLOCK], sink[QUELL_HOST_MAX_AUDIO][QUELL_JACK_MAX_BLOCK];
  for (uint32_t k = 0; k < h->inst->n_audio_in; k++)
    lilv_instance_connect_port(h->inst->instance, h->inst->audio_in[k], silence);
  for (uint32_t k = 0; k < h->inst->n_audio_out; k++)
    lilv_instance_connect_port(h->inst->instance, h->inst->audio_out[k], sink[k]);
  h->voice_port = quell_host_instance_port(h->inst, "voice_prob");
  h->reduction_port = quell_host_instance_port(h->inst, "reduction");
  lilv_instance_activate(h->inst->instance);
  h->activated = 1;
  lilv_instance_run(h->inst->instance, jack_get_buffer_size(h->client));
  const float lat = quell_host_instance_latency(h->inst);
  atomic_store(&h->published, lat > 0 ? (uint32_t)lrintf(lat) : 0u);

  if (o->load_s > 0 && !o->jack_input) {
    for (uint32_t k = 0; k < h->inst->n_audio_in && k < QUELL_HOST_MAX_AUDIO; k++) {
      h->load_in[k] = calloc(QUELL_JACK_MAX_BLOCK, sizeof(float));
      if (!h->load_in[k]) return quell_jack_fail(QUELL_JACK_EXIT_DISAGREE, "out of memory");
      h->load_rng[k] = 12345u + 7919u * k; /* channels differ: a stereo plugin sees two signals */
    }
  }
  if (o->latency) {
    h->probe = calloc(1, sizeof *h->probe);
    if (!h->probe) return quell_jack_fail(QUELL_JACK_EXIT_DISAGREE, "out of memory");
    const int r = quell_jack_probe_alloc(h->probe, h->inst, jack_get_sample_rate(h->client));
    if (r) return r;
  }
  jack_set_process_callback(h->client, quell_jack_host_process, h);
  jack_set_latency_callback(h->client, quell_jack_host_latency, h);
  jack_set_xrun_callback(h->client, quell_jack_host_xrun, h);
  jack_on_shutdown(h->client, quell_jack_on_shutdown, NULL);
  if (jack_activate(h->client))
    return quell_jack_fail(QUELL_JACK_EXIT_NOSERVER, "cannot activate the JACK client");
  return 0;
}

/* Main thread: if the plugin's latency moved since it was published, publish the new value and
 * have JACK recompute the graph's latencies (never from the process thread). */
static void quell_jack_republish(QuellJackHost *h) {
  if (!atomic_exchange(&h->latency_changed, 0)) return;
  const float lat = quell_host_instance_latency(h->inst);
  atomic_store(&h->published, lat > 0 ? (uint32_t)lrintf(lat) : 0u);
  jack_recompute_total_latencies(h->client);
  fprintf(stderr, "quell-jack: the plugin's latency changed to %.0f frames; republished\n", lat);
}

/* --- latency ------------------------------------------------------------------------------- */

/* Allocates the pattern and recording buffers (before the host client is activated). */
static int quell_jack_probe_alloc(QuellJackProbe *pr, const QuellHostInstance *inst, double rate) {
  pr->channels = inst->n_audio_in < inst->n_audio_out ? inst->n_audio_in : inst->n_audio_out;
  pr->rate = rate;
  /* Pattern period a quarter second; the impulse and the chirp get a quarter period each to
   * come out, which bounds the measurable delay (2756 frames at 44.1 kHz). */
  pr->period = (uint32_t)lrint(pr->rate / 4.0);
  pr->chirp_at = pr->period / 4;
  pr->chirp_len = pr->period / 4 < 2048 ? pr->period / 4 : 2048;
  pr->rec_len = pr->period;
  pr->chirp = calloc(pr->chirp_len, sizeof(float));
  for (uint32_t k = 0; k < pr->channels; k++) {
    pr->rec[k] = calloc(pr->rec_len, sizeof(float));
    pr->pattern[k] = calloc(QUELL_JACK_MAX_BLOCK, sizeof(float));
    if (!pr->rec[k] || !pr->pattern[k])
      return quell_jack_fail(QUELL_JACK_EXIT_DISAGREE, "out of memory");
  }
  if (!pr->chirp) return quell_jack_fail(QUELL_JACK_EXIT_DISAGREE, "out of memory");
  /* Linear chirp 200 Hz .. 0.4 * rate, Hann envelope: broadband, one sharp correlation peak. */
  const double f0 = 200.0, f1 = 0.4 * pr->rate, T = pr->chirp_len / pr->rate;
  for (uint32_t i = 0; i < pr->chirp_len; i++) {
    const double t = i / pr->rate;
    const double phase = 2.0 * M_PI * (f0 * t + 0.5 * (f1 - f0) / T * t * t);
    const double env = 0.5 - 0.5 * cos(2.0 * M_PI * i / (pr->chirp_len - 1));
    pr->chirp[i] = (float)(0.5 * env * sin(phase));
  }
  return 0;
}

/* Probe source: silence (the host injects the pattern itself; see the top of the file). JACK2
 * needs a process callback on every client in the graph, or the clients after it never run. */
static int quell_jack_src_process(jack_nframes_t n, void *arg) {
  QuellJackProbe *pr = arg;
  for (uint32_t k = 0; k < pr->channels; k++)
    memset(jack_port_get_buffer(pr->src_out[k], n), 0, n * sizeof(float));
  return 0;
}

/* Probe sink: nothing to do; it exists so JACK computes the latency at its input. */
static int quell_jack_sink_process(jack_nframes_t n, void *arg) {
  (void)n;
  (void)arg;
  return 0;
}

/* Opens the probe clients and wires src -> host -> sink so JACK computes latencies through us. */
static int quell_jack_probe_open(QuellJackProbe *pr, QuellJackHost *h, const QuellJackOptions *o) {
  char name[128];
  char name_src[128], name_sink[128];
  snprintf(name_src, sizeof name_src, "%s_src", o->name);
  snprintf(name_sink, sizeof name_sink, "%s_sink", o->name);
  pr->src = quell_jack_open(name_src, o->server);
  pr->sink = quell_jack_open(name_sink, o->server);
  if (!pr->src || !pr->sink)
    return quell_jack_fail(QUELL_JACK_EXIT_NOSERVER, "cannot open the probe clients");
  for (uint32_t k = 0; k < pr->channels; k++) {
    snprintf(name, sizeof name, "out_%u", k + 1);
    pr->src_out[k] = jack_port_register(pr->src, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    snprintf(name, sizeof name, "in_%u", k + 1);
    pr->sink_in[k] = jack_port_register(pr->sink, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    if (!pr->src_out[k] || !pr->sink_in[k])
      return quell_jack_fail(QUELL_JACK_EXIT_NOSERVER, "cannot register probe ports");
  }
  jack_set_process_callback(pr->src, quell_jack_src_process, pr);
  jack_set_process_callback(pr->sink, quell_jack_sink_process, pr);
  if (jack_activate(pr->src) || jack_activate(pr->sink))
    return quell_jack_fail(QUELL_JACK_EXIT_NOSERVER, "cannot activate the probe clients");
  for (uint32_t k = 0; k < pr->channels; k++) {
    if (jack_connect(pr->src, jack_port_name(pr->src_out[k]), jack_port_name(h->in[k])) ||
        jack_connect(pr->sink, jack_port_name(h->out[k]), jack_port_name(pr->sink_in[k])))
      return quell_jack_fail(QUELL_JACK_EXIT_NOSERVER, "cannot connect the probe ports");
  }
  return 0;
}

/* Delay of the pattern in one channel of a recorded window starting at a period boundary:
 * *impulse from the largest sample after the impulse, *chirp from the cross-correlation peak.
 * Returns 0, or -1 if either response is missing (too weak to trust). */
static int quell_jack_analyse(const QuellJackProbe *pr, const float *rec, int32_t *impulse,
                              int32_t *chirp, double *corr) {
  const uint32_t max_lag = pr->chirp_at; /* the chirp starts there: search before it */
  uint32_t best = 0;
  float peak = 0.0f;
  for (uint32_t i = 0; i < max_lag; i++)
    if (fabsf(rec[i]) > peak) peak = fabsf(rec[i]), best = i;
  *impulse = peak > 0.05f ? (int32_t)best : -1;
  double energy = 0.0, best_c = 0.0;
  for (uint32_t i = 0; i < pr->chirp_len; i++) energy += (double)pr->chirp[i] * pr->chirp[i];
  uint32_t best_lag = 0;
  const uint32_t lag_end = pr->rec_len - pr->chirp_at - pr->chirp_len;
  for (uint32_t lag = 0; lag < lag_end && lag < max_lag; lag++) {
    double c = 0.0;
    const float *x = rec + pr->chirp_at + lag;
    for (uint32_t i = 0; i < pr->chirp_len; i++) c += (double)x[i] * pr->chirp[i];
    if (c > best_c) best_c = c, best_lag = lag;
  }
  *corr = energy > 0 ? best_c / energy : 0.0;
  *chirp = *corr > 0.1 ? (int32_t)best_lag : -1;
  return (*impulse < 0 || *chirp < 0) ? -1 : 0;
}

/* Records one pattern period of plugin output; 0 when done, -1 on timeout. */
static int quell_jack_capture(QuellJackProbe *pr, QuellJackHost *h) {
  /* Start a little ahead, at a period boundary: the plugin must have run a while at this size. */
  const uint64_t now = atomic_load_explicit(&h->stream_pos_pub, memory_order_acquire);
  const uint64_t ahead = (uint64_t)(pr->rate * 0.05) + 2 * atomic_load(&h->nframes);
  const uint64_t start = ((now + ahead) / pr->period + 1) * pr->period;
  atomic_store(&pr->rec_filled, 0);
  atomic_store(&pr->rec_start, start);
  atomic_store_explicit(&pr->armed, 1, memory_order_release);
  for (int waited = 0; atomic_load_explicit(&pr->rec_filled, memory_order_acquire) < pr->rec_len;
       waited += 5) {
    if (quell_jack_stop || waited > 5000) {
      atomic_store(&pr->armed, 0);
      return -1;
    }
    quell_jack_sleep_ms(5);
  }
  atomic_store(&pr->armed, 0);
  return 0;
}

static int quell_jack_latency(QuellJackHost *h, const QuellJackOptions *o) {
  QuellJackProbe *pr = h->probe;
  int r = quell_jack_probe_open(pr, h, o);
  int all_ok = 1;
  if (r) goto done;
  printf("%-7s %-7s %-9s %-9s %-9s %-10s %-10s %-7s %s\n", "rate", "period", "impulse", "chirp",
         "reported", "published", "published", "xruns", "agree");
  printf("%-7s %-7s %-9s %-9s %-9s %-10s %-10s %-7s %s\n", "Hz", "frames", "measured", "measured",
         "port", "capture", "playback", "", "");
  const int n_periods = o->n_periods ? o->n_periods : 1;
  for (int pi = 0; pi < n_periods && !quell_jack_stop; pi++) {
    if (o->n_periods && (r = quell_jack_set_period(h, o->periods[pi]))) goto done;
    quell_jack_republish(h);
    quell_jack_sleep_ms(50); /* JACK recomputes latencies asynchronously */
    const uint32_t xr0 = atomic_load(&h->xruns);
    int32_t imp_all = -2, chirp_all = -2;
    int ok = 1, windows = 0;
    for (; windows < QUELL_JACK_WINDOWS; ) {
      if (quell_jack_capture(pr, h) < 0) {
        r = quell_jack_fail(QUELL_JACK_EXIT_DISAGREE, "the process callback stopped (timeout)");
        goto done;
      }
      for (uint32_t k = 0; k < pr->channels; k++) {
        int32_t imp, ch;
        double corr;
        if (quell_jack_analyse(pr, pr->rec[k], &imp, &ch, &corr)) {
          fprintf(stderr, "quell-jack: channel %u: response too weak (impulse %d, chirp "
                  "correlation %.3f)\n", k + 1, imp, corr);
          ok = 0;
        }
        if (imp_all == -2) imp_all = imp, chirp_all = ch;
        if (imp != imp_all || ch != chirp_all) {
          fprintf(stderr, "quell-jack: channel %u window %d: impulse %d chirp %d, earlier %d/%d\n",
                  k + 1, windows, imp, ch, imp_all, chirp_all);
          ok = 0;
        }
      }
      windows++;
    }
    const float lat = quell_host_instance_latency(h->inst);
    const int32_t reported = lat < 0 ? -1 : (int32_t)lrintf(lat);
    jack_latency_range_t cap, play;
    jack_port_get_latency_range(pr->sink_in[0], JackCaptureLatency, &cap);
    jack_port_get_latency_range(pr->src_out[0], JackPlaybackLatency, &play);
    ok = ok && imp_all == reported && chirp_all == reported && cap.min == (uint32_t)reported &&
         cap.max == (uint32_t)reported && play.min == (uint32_t)reported &&
         play.max == (uint32_t)reported;
    char cap_s[32], play_s[32];
    if (cap.min == cap.max) snprintf(cap_s, sizeof cap_s, "%u", cap.min);
    else snprintf(cap_s, sizeof cap_s, "%u-%u", cap.min, cap.max);
    if (play.min == play.max) snprintf(play_s, sizeof play_s, "%u", play.min);
    else snprintf(play_s, sizeof play_s, "%u-%u", play.min, play.max);
    printf("%-7.0f %-7u %-9d %-9d %-9d %-10s %-10s %-7u %s\n", pr->rate,
           jack_get_buffer_size(h->client), imp_all, chirp_all, reported, cap_s, play_s,
           atomic_load(&h->xruns) - xr0, ok ? "yes" : "NO");
    fflush(stdout);
    all_ok = all_ok && ok;
  }
  if (quell_jack_stop) all_ok = 0;
  r = all_ok ? 0 : QUELL_JACK_EXIT_DISAGREE;
done:
  return r;
}

static void quell_jack_probe_free(QuellJackProbe *pr) {
  if (!pr) return;
  if (pr->src) jack_client_close(pr->src);
  if (pr->sink) jack_client_close(pr->sink);
  free(pr->chirp);
  for (uint32_t k = 0; k < QUELL_HOST_MAX_AUDIO; k++) free(pr->rec[k]), free(pr->pattern[k]);
  free(pr);
}

/* --- load ---------------------------------------------------------------------------------- */

static int quell_jack_cmp_u32(const void *a, const void *b) {
  const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static int quell_jack_load(QuellJackHost *h, const QuellJackOptions *o) {
  const double rate = jack_get_sample_rate(h->client);
  uint32_t smallest = jack_get_buffer_size(h->client);
  for (int i = 0; i < o->n_periods; i++)
    if (o->periods[i] < smallest) smallest = o->periods[i];
  h->run_cap = (uint32_t)(o->load_s * rate / smallest) + 64;
  h->run_ns = calloc(h->run_cap, sizeof *h->run_ns);
  h->run_cpu_ns = calloc(h->run_cap, sizeof *h->run_cpu_ns);
  uint32_t *sorted = calloc(h->run_cap, sizeof *sorted);
  if (!h->run_ns || !h->run_cpu_ns || !sorted) {
    free(sorted);
    return quell_jack_fail(QUELL_JACK_EXIT_DISAGREE, "out of memory");
  }
  /* "skipped": cycles the server never ran us for (breaks in JACK's frame clock). "cpu@max": the
   * CPU time of the cycle with the longest wall time (far below "max": the thread was preempted,
   * not the plugin slow). */
  printf("%-7s %-7s %-8s %-8s %-8s %-8s %-8s %-8s %-6s %-8s %-6s %s\n", "rate", "period",
         "period", "cycles", "mean", "p99", "max", "max", "xruns", "skipped", "jack", "cpu@max");
  printf("%-7s %-7s %-8s %-8s %-8s %-8s %-8s %-8s %-6s %-8s %-6s %s\n", "Hz", "frames", "us",
         "", "%", "%", "%", "us", "", "cycles", "dsp %", "%");
  const int n_periods = o->n_periods ? o->n_periods : 1;
  int r = 0;
  for (int pi = 0; pi < n_periods && !quell_jack_stop; pi++) {
    if (o->n_periods && (r = quell_jack_set_period(h, o->periods[pi]))) break;
    quell_jack_sleep_ms(200); /* let the new size settle before counting */
    quell_jack_republish(h);
    const uint32_t xr0 = atomic_load(&h->xruns), gaps0 = atomic_load(&h->gaps);
    atomic_store(&h->run_count, 0);
    atomic_store_explicit(&h->collect, 1, memory_order_release);
    quell_jack_sleep_ms((int)(o->load_s * 1000.0));
    atomic_store_explicit(&h->collect, 0, memory_order_release);
    quell_jack_sleep_ms(50); /* a process call may still be storing its last sample */
    const uint32_t n = atomic_load_explicit(&h->run_count, memory_order_acquire);
    const uint32_t xruns = atomic_load(&h->xruns) - xr0, gaps = atomic_load(&h->gaps) - gaps0;
    const uint32_t period = jack_get_buffer_size(h->client);
    const double period_us = 1e6 * period / rate;
    if (n == 0) {
      r = quell_jack_fail(QUELL_JACK_EXIT_DISAGREE, "no process cycles at period %u", period);
      break;
    }
    uint32_t wall_max_at = 0;
    for (uint32_t i = 0; i < n; i++)
      if (h->run_ns[i] > h->run_ns[wall_max_at]) wall_max_at = i;
    memcpy(sorted, h->run_ns, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, quell_jack_cmp_u32);
    double sum = 0.0;
    for (uint32_t i = 0; i < n; i++) sum += sorted[i];
    const double mean_us = sum / n / 1e3, p99_us = sorted[(uint32_t)(0.99 * (n - 1))] / 1e3,
                 max_us = sorted[n - 1] / 1e3;
    printf("%-7.0f %-7u %-8.0f %-8u %-8.2f %-8.2f %-8.2f %-8.1f %-6u %-8u %-6.1f %.2f\n", rate,
           period, period_us, n, 100.0 * mean_us / period_us, 100.0 * p99_us / period_us,
           100.0 * max_us / period_us, max_us, xruns, gaps, jack_cpu_load(h->client),
           100.0 * h->run_cpu_ns[wall_max_at] / 1e3 / period_us);
    fflush(stdout);
  }
  free(sorted);
  return r;
}

/* --- live ---------------------------------------------------------------------------------- */

static int quell_jack_live(QuellJackHost *h, const QuellJackOptions *o) {
  const char **capture =
      jack_get_ports(h->client, NULL, JACK_DEFAULT_AUDIO_TYPE, JackPortIsPhysical | JackPortIsOutput);
  const char **playback =
      jack_get_ports(h->client, NULL, JACK_DEFAULT_AUDIO_TYPE, JackPortIsPhysical | JackPortIsInput);
  int connected = 0;
  for (uint32_t k = 0; capture && k < h->inst->n_audio_in; k++) {
    const char *src = capture[k] ? capture[k] : capture[0]; /* mono mic feeds both inputs */
    connected += !jack_connect(h->client, src, jack_port_name(h->in[k]));
  }
  for (uint32_t k = 0; playback && playback[k] && k < 2; k++) {
    jack_port_t *out = h->out[k < h->inst->n_audio_out ? k : 0]; /* mono out to both speakers */
    connected += !jack_connect(h->client, jack_port_name(out), playback[k]);
  }
  jack_free(capture);
  jack_free(playback);
  if (!connected)
    fprintf(stderr, "quell-jack: no physical ports to connect; connect %s:* by hand\n", o->name);
  const double rate = jack_get_sample_rate(h->client);
  printf("quell-jack: live at %.0f Hz, latency %u frames (%.1f ms); Ctrl-C stops\n", rate,
         atomic_load(&h->published), 1e3 * atomic_load(&h->published) / rate);
  fflush(stdout);
  for (int s = 0; !quell_jack_stop && (o->duration_s <= 0 || s < o->duration_s); s++) {
    quell_jack_sleep_ms(1000);
    quell_jack_republish(h);
    printf("voice %.2f  reduction %5.1f dB  xruns %u\n", quell_jack_load_float(&h->voice),
           quell_jack_load_float(&h->reduction), atomic_load(&h->xruns));
    fflush(stdout);
  }
  return 0;
}

int main(int argc, char **argv) {
  QuellJackOptions o;
  memset(&o, 0, sizeof o);
  int r = quell_jack_parse(argc, argv, &o);
  if (r >= 0) return r;
  signal(SIGINT, quell_jack_on_signal);
  signal(SIGTERM, quell_jack_on_signal);
  char err[1024];
  QuellHost *host = quell_host_new(err, sizeof err);
  if (!host) return quell_jack_fail(QUELL_JACK_EXIT_PLUGIN, "%s", err);
  QuellJackHost *h = calloc(1, sizeof *h);
  if (!h) {
    quell_host_free(host);
    return quell_jack_fail(QUELL_JACK_EXIT_PLUGIN, "out of memory");
  }
  r = quell_jack_host_open(h, host, &o);
  if (!r) {
    if (o.latency) r = quell_jack_latency(h, &o);
    else if (o.load_s > 0) r = quell_jack_load(h, &o);
    else r = quell_jack_live(h, &o);
    if (atomic_load(&h->too_long))
      fprintf(stderr, "quell-jack: warning: periods over %d frames were skipped\n",
              QUELL_JACK_MAX_BLOCK);
  }
  if (quell_jack_server_gone) {
    r = quell_jack_fail(QUELL_JACK_EXIT_NOSERVER, "the JACK server shut down or dropped us");
  } else if (h->client) {
    jack_deactivate(h->client);
  }
  if (h->client) jack_client_close(h->client);
  quell_jack_probe_free(h->probe);
  if (h->inst) {
    if (h->activated) lilv_instance_deactivate(h->inst->instance);
    quell_host_instance_free(h->inst);
  }
  free(h->run_ns);
  free(h->run_cpu_ns);
  for (uint32_t k = 0; k < QUELL_HOST_MAX_AUDIO; k++) free(h->load_in[k]);
  free(h);
  quell_host_free(host);
  return r;
}
