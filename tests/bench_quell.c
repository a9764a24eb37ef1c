/* bench_quell — what Quell costs, printed as tables (never a pass/fail timing test).
 *
 *   bench_quell [--model PATH] [--bundle DIR] [--process EXE] [--workdir DIR]
 *   bench_quell --callgrind RATE CHANNELS BLOCK SECONDS [--model PATH]
 *   bench_quell --silence-hours H [--model PATH]     (only the silence row, H hours for real)
 *
 * Rows: CPU seconds per audio second of quell_engine_process at 16/44.1/48/96 kHz, mono and
 * stereo, blocks of 32/128/480/1024 frames (median over repeats); the same through the LV2 run()
 * of the built bundle loaded with lilv; the speexdsp preprocessor denoiser (10 ms frames) as the
 * classic baseline; CPU with denormal and silent input against normal input; the cost of 24 h of
 * digital silence; bytes allocated at instantiate (mallinfo2 deltas) and the weights size; peak
 * RSS of quell-process on a generated 10-minute file. --callgrind runs one fixed job for
 * `valgrind --tool=callgrind --toggle-collect=quell_engine_process` (instructions per audio
 * second; make bench-callgrind).
 *
 * The model: --model PATH (make passes $QUELL_MODEL, else model/quell.qwb when it exists), else a
 * fixture blob of the default configuration (random weights; same shapes, same cost).
 * Environment: BENCH_SECONDS (audio seconds per measurement, default 5), BENCH_REPEATS (5),
 * BENCH_SILENCE_HOURS (run the silence row for that long instead of extrapolating 2 minutes). */
#include <errno.h>
#include <float.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <sndfile.h>
#include <speex/speex_preprocess.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lilv/lilv.h>

#include "../dsp/quell.h"
#include "../dsp/quell_config.h"
#include "../dsp/quell_train.h"
#include "blob_fixture.h"

#define BENCH_URI_MONO "https://github.com/quell-audio/quell#mono"
#define BENCH_URI_STEREO "https://github.com/quell-audio/quell#stereo"
#define BENCH_MAX_BLOCK 4096u

static const double bench_rates[] = {16000.0, 44100.0, 48000.0, 96000.0};
static const uint32_t bench_blocks[] = {32, 128, 480, 1024};
#define BENCH_N_RATES (sizeof bench_rates / sizeof bench_rates[0])
#define BENCH_N_BLOCKS (sizeof bench_blocks / sizeof bench_blocks[0])

typedef struct {
  double seconds; /* audio seconds per measurement */
  int repeats;
  const char *model_path; /* NULL: fixture */
  const char *bundle;     /* LV2 bundle directory */
  const char *process;    /* quell-process executable */
  const char *workdir;
  unsigned char *blob;
  size_t blob_size;
  QuellModel *model;
} Bench;

static uint64_t bench_clock_ns(clockid_t clock)
{
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Process CPU time, not wall time: a busy second core does not change it much, and any work a
 * library hands to helper threads would still be counted. */
static double bench_cpu_now(void) { return 1e-9 * (double)bench_clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

static int bench_cmp_double(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double bench_median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Bytes the process holds from malloc right now (small blocks + mmapped large ones). */
static size_t bench_heap_bytes(void)
{
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

/* A speech-like test signal: noise at about -30 dBFS under a syllable-rate amplitude-modulated
 * harmonic tone, so the gains move as they would on real input. */
enum { BENCH_SIGNAL_NORMAL, BENCH_SIGNAL_DENORMAL, BENCH_SIGNAL_SILENCE };
static void bench_signal(float *x, size_t n, double rate, int kind, unsigned seed)
{
  unsigned s = seed ? seed : 1;
  for (size_t i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    const float noise = (float)(s >> 8) / 16777216.0f * 2.0f - 1.0f;
    const double t = (double)i / rate;
    switch (kind) {
    case BENCH_SIGNAL_NORMAL: {
      const double env = 0.5 + 0.5 * sin(2.0 * M_PI * 4.0 * t);
      const double voice = sin(2.0 * M_PI * 140.0 * t) + 0.5 * sin(2.0 * M_PI * 280.0 * t) +
                           0.25 * sin(2.0 * M_PI * 420.0 * t);
      x[i] = 0.03f * noise + (float)(0.2 * env * env * voice);
      break;
    }
    case BENCH_SIGNAL_DENORMAL: x[i] = FLT_MIN * 0.25f * noise; break; /* all subnormal */
    default: x[i] = 0.0f; break;
    }
  }
}

typedef struct {
  void (*process)(void *ctx, float *const *in, float *const *out, uint32_t n);
  void *ctx;
  int channels;
} BenchTarget;

/* Two input and two output channels of BENCH_MAX_BLOCK frames, what every measurement feeds its
 * target. */
static void bench_io_alloc(float **in, float **out)
{
  for (int c = 0; c < 2; c++) {
    in[c] = malloc(sizeof(float) * BENCH_MAX_BLOCK);
    out[c] = malloc(sizeof(float) * BENCH_MAX_BLOCK);
  }
}

static void bench_io_free(float **in, float **out)
{
  for (int c = 0; c < 2; c++) {
    free(in[c]);
    free(out[c]);
  }
}

/* The next k frames of the looped signal into in[0] and (half a loop later) in[1]; *src is the
 * read position. Called outside the timed region. */
static void bench_next_block(const float *signal, size_t frames, size_t *src, float *const *in,
                             uint32_t k)
{
  for (uint32_t i = 0; i < k; i++) {
    in[0][i] = signal[*src];
    in[1][i] = signal[(*src + frames / 2) % frames];
    if (++*src == frames) *src = 0;
  }
}

/* Median CPU seconds per audio second of `target` fed `signal` in blocks of `block` frames. */
static double bench_measure(const Bench *b, const BenchTarget *t, double rate, uint32_t block,
                            const float *signal, size_t frames, double seconds)
{
  const size_t total = (size_t)(seconds * rate);
  float *out[2], *in[2];
  bench_io_alloc(in, out);
  double *runs = malloc(sizeof(double) * (size_t)b->repeats);
  for (int r = 0; r < b->repeats; r++) {
    size_t pos = 0, src = 0;
    double busy = 0.0;
    while (pos < total) {
      const uint32_t k = (uint32_t)(total - pos < block ? total - pos : block);
      bench_next_block(signal, frames, &src, in, k);
      const double t0 = bench_cpu_now();
      t->process(t->ctx, in, out, k);
      busy += bench_cpu_now() - t0;
      pos += k;
    }
    runs[r] = busy / seconds;
  }
  const double med = bench_median(runs, b->repeats);
  free(runs);
  bench_io_free(in, out);
  return med;
}

/* --- targets ------------------------------------------------------------------------------ */
static void bench_engine_process(void *ctx, float *const *in, float *const *out, uint32_t n)
{
  quell_engine_process(ctx, (const float *const *)in, out, n);
}

typedef struct {
  LilvInstance *inst;
  uint32_t in_port[2], out_port[2];
  int channels;
} BenchLv2;

static void bench_lv2_process(void *ctx, float *const *in, float *const *out, uint32_t n)
{
  BenchLv2 *l = ctx;
  /* A host connects its buffers before each run(); counting that is part of the honest cost. */
  for (int c = 0; c < l->channels; c++) {
    lilv_instance_connect_port(l->inst, l->in_port[c], in[c]);
    lilv_instance_connect_port(l->inst, l->out_port[c], out[c]);
  }
  lilv_instance_run(l->inst, n);
}

typedef struct {
  SpeexPreprocessState *st[2];
  int channels;
  int frame;
  int fill;
  spx_int16_t buf[2][4096];
} BenchSpeex;

/* The preprocessor works on 16-bit frames of 10 ms; host blocks are gathered into frames as a
 * plugin wrapper would, and the float<->int16 conversion is part of the measured cost. */
static void bench_speex_process(void *ctx, float *const *in, float *const *out, uint32_t n)
{
  BenchSpeex *s = ctx;
  for (uint32_t i = 0; i < n; i++) {
    for (int c = 0; c < s->channels; c++) {
      const float v = in[c][i] * 32767.0f;
      out[c][i] = s->buf[c][s->fill] * (1.0f / 32767.0f);
      s->buf[c][s->fill] = (spx_int16_t)(v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : v);
    }
    if (++s->fill == s->frame) {
      for (int c = 0; c < s->channels; c++) speex_preprocess_run(s->st[c], s->buf[c]);
      s->fill = 0;
    }
  }
}

static int bench_speex_open(BenchSpeex *s, double rate, int channels)
{
  memset(s, 0, sizeof *s);
  s->channels = channels;
  s->frame = (int)(rate / 100.0 + 0.5);
  for (int c = 0; c < channels; c++) {
    s->st[c] = speex_preprocess_state_init(s->frame, (int)rate);
    if (!s->st[c]) return -1;
    /* AGC, VAD and dereverb are off by default; setting VAD at all prints a warning. */
    int on = 1, off = 0;
    speex_preprocess_ctl(s->st[c], SPEEX_PREPROCESS_SET_DENOISE, &on);
    speex_preprocess_ctl(s->st[c], SPEEX_PREPROCESS_SET_AGC, &off);
    speex_preprocess_ctl(s->st[c], SPEEX_PREPROCESS_SET_DEREVERB, &off);
  }
  return 0;
}

static void bench_speex_close(BenchSpeex *s)
{
  for (int c = 0; c < s->channels; c++)
    if (s->st[c]) speex_preprocess_state_destroy(s->st[c]);
}

/* --- LV2 through lilv --------------------------------------------------------------------- */
typedef struct {
  LilvWorld *world;
  const LilvPlugin *plugin[2]; /* mono, stereo */
} BenchLilv;

static int bench_lilv_open(BenchLilv *h, const char *bundle)
{
  char *abs = realpath(bundle, NULL);
  if (!abs) return -1;
  char uri[4200];
  snprintf(uri, sizeof uri, "file://%s/", abs);
  free(abs);
  h->world = lilv_world_new();
  LilvNode *bundle_uri = lilv_new_uri(h->world, uri);
  lilv_world_load_bundle(h->world, bundle_uri);
  lilv_node_free(bundle_uri);
  const LilvPlugins *all = lilv_world_get_all_plugins(h->world);
  const char *uris[2] = {BENCH_URI_MONO, BENCH_URI_STEREO};
  for (int v = 0; v < 2; v++) {
    LilvNode *u = lilv_new_uri(h->world, uris[v]);
    h->plugin[v] = lilv_plugins_get_by_uri(all, u);
    lilv_node_free(u);
    if (!h->plugin[v]) return -1;
  }
  return 0;
}

/* Instantiates and connects every control input to its default, outputs to scratch. */
static int bench_lv2_open(BenchLilv *h, BenchLv2 *l, int channels, double rate, float *controls)
{
  const LilvPlugin *p = h->plugin[channels - 1];
  memset(l, 0, sizeof *l);
  l->channels = channels;
  l->inst = lilv_plugin_instantiate(p, rate, NULL);
  if (!l->inst) return -1;
  LilvNode *audio = lilv_new_uri(h->world, LILV_URI_AUDIO_PORT);
  LilvNode *input = lilv_new_uri(h->world, LILV_URI_INPUT_PORT);
  const uint32_t np = lilv_plugin_get_num_ports(p);
  float *mins = calloc(np, sizeof(float)), *maxs = calloc(np, sizeof(float));
  lilv_plugin_get_port_ranges_float(p, mins, maxs, controls);
  int ni = 0, no = 0;
  for (uint32_t i = 0; i < np && i < 64; i++) {
    const LilvPort *port = lilv_plugin_get_port_by_index(p, i);
    if (lilv_port_is_a(p, port, audio)) {
      if (lilv_port_is_a(p, port, input)) l->in_port[ni++ % 2] = i;
      else l->out_port[no++ % 2] = i;
    } else {
      if (isnan(controls[i])) controls[i] = 0.0f;
      lilv_instance_connect_port(l->inst, i, &controls[i]);
    }
  }
  free(mins);
  free(maxs);
  lilv_node_free(audio);
  lilv_node_free(input);
  lilv_instance_activate(l->inst);
  return 0;
}

static void bench_lv2_close(BenchLv2 *l)
{
  lilv_instance_deactivate(l->inst);
  lilv_instance_free(l->inst);
}

/* --- model -------------------------------------------------------------------------------- */
static unsigned char *bench_read_file(const char *path, size_t *size)
{
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  const long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *data = len > 0 ? malloc((size_t)len) : NULL;
  if (data && fread(data, 1, (size_t)len, f) != (size_t)len) {
    free(data);
    data = NULL;
  }
  fclose(f);
  *size = data ? (size_t)len : 0;
  return data;
}

static int bench_load_model(Bench *b)
{
  char err[256];
  if (b->model_path) {
    b->blob = bench_read_file(b->model_path, &b->blob_size);
    if (!b->blob) {
      fprintf(stderr, "bench_quell: cannot read %s: %s\n", b->model_path, strerror(errno));
      return -1;
    }
  } else {
    QuellConfig cfg;
    quell_config_default(&cfg);
    b->blob = quell_fixture_blob(&cfg, 1, &b->blob_size);
  }
  b->model = b->blob ? quell_model_load_memory(b->blob, b->blob_size, err, sizeof err) : NULL;
  if (!b->model) {
    fprintf(stderr, "bench_quell: model: %s\n", b->blob ? err : "out of memory");
    return -1;
  }
  return 0;
}

/* --- sections ----------------------------------------------------------------------------- */
static void bench_print_cell(double v) { printf(" %8.5f (%5.2f%%)", v, 100.0 * v); }

static void bench_engine_table(const Bench *b)
{
  printf("\n## Engine alone: quell_engine_process, CPU s per audio s (%% of one core)\n");
  printf("median of %d x %.0f s; speech-like input\n\n", b->repeats, b->seconds);
  printf("| rate   | ch |");
  for (size_t k = 0; k < BENCH_N_BLOCKS; k++) printf("     block %-4u    |", bench_blocks[k]);
  printf("\n|--------|----|");
  for (size_t k = 0; k < BENCH_N_BLOCKS; k++) printf("-------------------|");
  printf("\n");
  for (size_t r = 0; r < BENCH_N_RATES; r++) {
    const double rate = bench_rates[r];
    const size_t frames = (size_t)(rate * 3.0);
    float *sig = malloc(sizeof(float) * frames);
    bench_signal(sig, frames, rate, BENCH_SIGNAL_NORMAL, 7);
    for (int ch = 1; ch <= 2; ch++) {
      printf("| %6.0f | %2d |", rate, ch);
      for (size_t k = 0; k < BENCH_N_BLOCKS; k++) {
        char err[256];
        QuellEngine *e = quell_engine_create(b->model, rate, ch, err, sizeof err);
        if (!e) {
          printf(" %-17s |", "create failed");
          continue;
        }
        const BenchTarget t = {bench_engine_process, e, ch};
        bench_print_cell(bench_measure(b, &t, rate, bench_blocks[k], sig, frames, b->seconds));
        printf(" |");
        fflush(stdout);
        quell_engine_destroy(e);
      }
      printf("\n");
    }
    free(sig);
  }
}

/* The longest single call, not the average: what a real-time host must fit in one period. Each
 * call is timed by the thread's CPU clock and by the wall clock; only the CPU clock excludes the
 * time the machine gave the core to something else (the wall maximum is shown to make that
 * visible). 60 s of the speech-like signal per row, at 48 kHz in JACK-sized blocks, through the
 * engine and through the LV2 plugin (lilv, as the JACK harness runs it). */
static void bench_longest_call_row(const char *what, const BenchTarget *t, double rate,
                                   uint32_t block, const float *sig, size_t frames, double seconds)
{
  const size_t calls = (size_t)(seconds * rate) / block;
  const double block_us = 1e6 * block / rate;
  double *cpu = malloc(sizeof(double) * calls); /* ns per call */
  float *in[2], *out[2];
  bench_io_alloc(in, out);
  uint64_t wall_max = 0;
  size_t over = 0, src = 0;
  for (size_t n = 0; n < calls; n++) {
    bench_next_block(sig, frames, &src, in, block);
    const uint64_t c0 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    const uint64_t t0 = bench_clock_ns(CLOCK_MONOTONIC);
    t->process(t->ctx, in, out, block);
    const uint64_t t1 = bench_clock_ns(CLOCK_MONOTONIC);
    const uint64_t c1 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    cpu[n] = (double)(c1 - c0);
    if (t1 - t0 > wall_max) wall_max = t1 - t0;
    if (cpu[n] > block_us * 1e3) over++;
  }
  qsort(cpu, calls, sizeof *cpu, bench_cmp_double);
  printf("| %-6s | %2d | %5u | %6zu | %12.1f | %13.1f (%5.1f %%) | %26zu | %11.1f |\n", what,
         t->channels, block, calls, cpu[(size_t)(0.999 * (double)(calls - 1))] / 1e3,
         cpu[calls - 1] / 1e3, 100.0 * cpu[calls - 1] / 1e3 / block_us, over, wall_max / 1e3);
  fflush(stdout);
  free(cpu);
  bench_io_free(in, out);
}

static void bench_longest_call_table(const Bench *b, BenchLilv *h)
{
  static const uint32_t blocks[] = {64, 256};
  const double rate = 48000.0, seconds = 60.0;
  printf("\n## Longest call at 48000 Hz, %.0f s of speech-like input per row\n", seconds);
  printf("CPU = the calling thread's CPU time; wall = elapsed time, preemption included\n\n");
  printf("| target | ch | block | calls  | CPU p99.9 us | CPU max us (%% of block) | calls over the "
         "block (CPU) | wall max us |\n");
  printf("|--------|----|-------|--------|--------------|-------------------------|--------------"
         "--------------|-------------|\n");
  const size_t frames = (size_t)(rate * 3.0);
  float *sig = malloc(sizeof(float) * frames);
  bench_signal(sig, frames, rate, BENCH_SIGNAL_NORMAL, 7);
  for (int ch = 1; ch <= 2; ch++) {
    for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++) {
      char err[256];
      QuellEngine *e = quell_engine_create(b->model, rate, ch, err, sizeof err);
      if (e) {
        const BenchTarget t = {bench_engine_process, e, ch};
        bench_longest_call_row("engine", &t, rate, blocks[k], sig, frames, seconds);
        quell_engine_destroy(e);
      } else {
        printf("| engine | %2d | %5u | create failed: %s |\n", ch, blocks[k], err);
      }
      float controls[64];
      BenchLv2 l;
      if (!h) continue;
      if (bench_lv2_open(h, &l, ch, rate, controls)) {
        printf("| LV2    | %2d | %5u | instantiate failed |\n", ch, blocks[k]);
        continue;
      }
      const BenchTarget t = {bench_lv2_process, &l, ch};
      bench_longest_call_row("LV2", &t, rate, blocks[k], sig, frames, seconds);
      bench_lv2_close(&l);
    }
  }
  free(sig);
}

static void bench_lv2_table(const Bench *b, BenchLilv *h)
{
  printf("\n## Through the plugin: LV2 run() of %s via lilv, CPU s per audio s\n", b->bundle);
  printf("median of %d x %.0f s; all controls at their defaults\n\n", b->repeats, b->seconds);
  printf("| rate   | ch |");
  for (size_t k = 0; k < BENCH_N_BLOCKS; k++) printf("     block %-4u    |", bench_blocks[k]);
  printf("\n|--------|----|");
  for (size_t k = 0; k < BENCH_N_BLOCKS; k++) printf("-------------------|");
  printf("\n");
  for (size_t r = 0; r < BENCH_N_RATES; r++) {
    const double rate = bench_rates[r];
    const size_t frames = (size_t)(rate * 3.0);
    float *sig = malloc(sizeof(float) * frames);
    bench_signal(sig, frames, rate, BENCH_SIGNAL_NORMAL, 7);
    for (int ch = 1; ch <= 2; ch++) {
      printf("| %6.0f | %2d |", rate, ch);
      for (size_t k = 0; k < BENCH_N_BLOCKS; k++) {
        float controls[64];
        BenchLv2 l;
        if (bench_lv2_open(h, &l, ch, rate, controls)) {
          printf(" %-17s |", "instantiate failed");
          continue;
        }
        const BenchTarget t = {bench_lv2_process, &l, ch};
        bench_print_cell(bench_measure(b, &t, rate, bench_blocks[k], sig, frames, b->seconds));
        printf(" |");
        fflush(stdout);
        bench_lv2_close(&l);
      }
      printf("\n");
    }
    free(sig);
  }
}

static void bench_speex_table(const Bench *b)
{
  printf("\n## Baseline: speexdsp preprocessor (denoise on, AGC/VAD/dereverb off, 10 ms frames)\n");
  printf("CPU s per audio s, median of %d x %.0f s, host blocks of 480; stereo = two states\n\n",
         b->repeats, b->seconds);
  printf("| rate   | mono              | stereo            | quell mono (480)  |\n");
  printf("|--------|-------------------|-------------------|-------------------|\n");
  for (size_t r = 0; r < BENCH_N_RATES; r++) {
    const double rate = bench_rates[r];
    const size_t frames = (size_t)(rate * 3.0);
    float *sig = malloc(sizeof(float) * frames);
    bench_signal(sig, frames, rate, BENCH_SIGNAL_NORMAL, 7);
    printf("| %6.0f |", rate);
    for (int ch = 1; ch <= 2; ch++) {
      BenchSpeex *s = malloc(sizeof *s);
      if (bench_speex_open(s, rate, ch)) {
        printf(" %-17s |", "init failed");
      } else {
        const BenchTarget t = {bench_speex_process, s, ch};
        bench_print_cell(bench_measure(b, &t, rate, 480, sig, frames, b->seconds));
        printf(" |");
      }
      bench_speex_close(s);
      free(s);
    }
    /* Quell in the same run, same input and block, for a side-by-side ratio. */
    char err[256];
    QuellEngine *e = quell_engine_create(b->model, rate, 1, err, sizeof err);
    if (e) {
      const BenchTarget t = {bench_engine_process, e, 1};
      bench_print_cell(bench_measure(b, &t, rate, 480, sig, frames, b->seconds));
      printf(" |\n");
      quell_engine_destroy(e);
    } else {
      printf(" %-17s |\n", "create failed");
    }
    fflush(stdout);
    free(sig);
  }
}

/* Denormal input against normal input at 48 kHz mono, block 480: the ratio shows whether any
 * part of the path slows down on subnormal numbers (the engine flushes them inside process). */
static void bench_denormal_rows(const Bench *b)
{
  const double rate = 48000.0;
  const size_t frames = (size_t)(rate * 3.0);
  float *sig = malloc(sizeof(float) * frames);
  const char *names[3] = {"normal (speech-like)", "subnormal (FLT_MIN/4 noise)", "digital silence"};
  double cost[3];
  printf("\n## Denormals and silence: engine 48 kHz mono, block 480, CPU s per audio s\n\n");
  printf("| input                        | CPU s / audio s   | ratio to normal |\n");
  printf("|------------------------------|-------------------|-----------------|\n");
  for (int kind = 0; kind < 3; kind++) {
    bench_signal(sig, frames, rate, kind, 11);
    char err[256];
    QuellEngine *e = quell_engine_create(b->model, rate, 1, err, sizeof err);
    if (!e) break;
    const BenchTarget t = {bench_engine_process, e, 1};
    cost[kind] = bench_measure(b, &t, rate, 480, sig, frames, b->seconds);
    quell_engine_destroy(e);
    printf("| %-28s |", names[kind]);
    bench_print_cell(cost[kind]);
    printf(" | %15.3f |\n", cost[kind] / cost[0]);
  }
  free(sig);
}

/* Output energy in dB of a 2 s speech-like probe fed to e (skipping its first 0.5 s). */
static double bench_probe_db(QuellEngine *e, double rate)
{
  const uint32_t n = (uint32_t)(2.0 * rate);
  float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
  bench_signal(x, n, rate, BENCH_SIGNAL_NORMAL, 5);
  for (uint32_t pos = 0; pos < n; pos += 480) {
    const uint32_t k = n - pos < 480 ? n - pos : 480;
    const float *ci[1] = {x + pos};
    float *co[1] = {y + pos};
    quell_engine_process(e, ci, co, k);
  }
  double sum = 0;
  for (uint32_t i = n / 4; i < n; i++) sum += (double)y[i] * y[i];
  free(x);
  free(y);
  return 10.0 * log10(sum / (n - n / 4) + 1e-30);
}

/* 24 hours of digital silence, fast-forwarded in 4096-frame blocks: measured over a stretch
 * and extrapolated (BENCH_SILENCE_HOURS runs that many hours for real). */
static void bench_silence_row(const Bench *b, double hours)
{
  const double rate = 48000.0;
  const double seconds = hours > 0 ? hours * 3600.0 : 120.0;
  char err[256];
  QuellEngine *e = quell_engine_create(b->model, rate, 1, err, sizeof err);
  QuellEngine *fresh = quell_engine_create(b->model, rate, 1, err, sizeof err);
  if (!e || !fresh) return;
  float *in = calloc(4096, sizeof(float)), *out = calloc(4096, sizeof(float));
  const uint64_t total = (uint64_t)(seconds * rate);
  int bad = 0;
  const double t0 = bench_cpu_now();
  for (uint64_t pos = 0; pos < total; pos += 4096) {
    const float *ci[1] = {in};
    float *co[1] = {out};
    quell_engine_process(e, ci, co, 4096);
    for (int i = 0; i < 4096; i++) bad |= out[i] != 0.0f;
  }
  const double cpu = bench_cpu_now() - t0;
  const float vp = quell_engine_voice_probability(e);
  /* The same probe after the long silence and after 10 s of it: does the engine still respond
   * as it does after a short pause? */
  for (int k = 0; k < 10 * 48000 / 4096; k++) {
    const float *ci[1] = {in};
    float *co[1] = {out};
    quell_engine_process(fresh, ci, co, 4096);
  }
  const float vp_fresh = quell_engine_voice_probability(fresh);
  const double db_long = bench_probe_db(e, rate), db_short = bench_probe_db(fresh, rate);
  quell_engine_destroy(e);
  quell_engine_destroy(fresh);
  free(in);
  free(out);
  printf("\n## 24 h of digital silence (48 kHz mono, 4096-frame blocks)\n\n");
  printf("processed %.0f s of silence in %.2f s CPU: %.5f s/s; 24 h would take %.0f s CPU "
         "(%.1f min)%s; output %s\n",
         seconds, cpu, cpu / seconds, cpu / seconds * 86400.0, cpu / seconds * 1440.0,
         hours > 0 ? "" : " (extrapolated; BENCH_SILENCE_HOURS=24 runs it)",
         bad ? "NOT silent" : "stayed exactly 0");
  printf("voice probability at the end of it %.4f (after 10 s of silence: %.4f); a 2 s probe "
         "afterwards comes out at %.2f dB (after 10 s of silence: %.2f dB)\n",
         (double)vp, (double)vp_fresh, db_long, db_short);
}

static void bench_memory_table(const Bench *b, BenchLilv *h)
{
  printf("\n## Memory: bytes allocated at instantiate (mallinfo2 deltas)\n\n");
  {
    char err[256];
    const size_t m0 = bench_heap_bytes();
    QuellModel *m = quell_model_load_memory(b->blob, b->blob_size, err, sizeof err);
    const size_t m1 = bench_heap_bytes();
    QuellConfig cfg;
    quell_train_model_config(b->model, &cfg);
    printf("weights: %s; %u bands, dense %u, %u x GRU %u: %zu parameters, blob %zu bytes, "
           "loaded model %zu bytes\n\n",
           b->model_path ? b->model_path : "fixture blob, default config", cfg.nb_bands,
           cfg.input_hidden, cfg.gru_layers, cfg.gru_hidden, quell_model_parameter_count(b->model),
           b->blob_size, m1 - m0);
    quell_model_free(m);
  }
  printf("| rate   | ch | engine instance (model shared) | LV2 instance (with its own weights) |\n");
  printf("|--------|----|--------------------------------|-------------------------------------|\n");
  for (size_t r = 0; r < BENCH_N_RATES; r++) {
    for (int ch = 1; ch <= 2; ch++) {
      char err[256];
      const double rate = bench_rates[r];
      /* Warm up once so one-time library state (FFTW's planner tables) is not counted. */
      QuellEngine *w = quell_engine_create(b->model, rate, ch, err, sizeof err);
      quell_engine_destroy(w);
      const size_t e0 = bench_heap_bytes();
      QuellEngine *e = quell_engine_create(b->model, rate, ch, err, sizeof err);
      const size_t e1 = bench_heap_bytes();
      quell_engine_destroy(e);
      long lv2 = -1;
      if (h) {
        float controls[64];
        BenchLv2 l;
        if (!bench_lv2_open(h, &l, ch, rate, controls)) bench_lv2_close(&l);
        const size_t l0 = bench_heap_bytes();
        if (!bench_lv2_open(h, &l, ch, rate, controls)) {
          lv2 = (long)(bench_heap_bytes() - l0);
          bench_lv2_close(&l);
        }
      }
      printf("| %6.0f | %2d | %18zu (%6.3f MB) | %23ld (%6.3f MB) |\n", rate, ch, e1 - e0,
             (double)(e1 - e0) / 1e6, lv2, (double)lv2 / 1e6);
    }
  }
}

/* Writes a 10-minute 48 kHz mono 16-bit WAV of the speech-like signal. */
static int bench_write_long_file(const char *path, double seconds)
{
  SF_INFO info = {.samplerate = 48000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
  SNDFILE *f = sf_open(path, SFM_WRITE, &info);
  if (!f) return -1;
  const size_t chunk = 48000 * 3;
  float *x = malloc(sizeof(float) * chunk);
  bench_signal(x, chunk, 48000.0, BENCH_SIGNAL_NORMAL, 3);
  int rc = 0;
  for (double done = 0; done < seconds; done += 3.0)
    if (sf_writef_float(f, x, (sf_count_t)chunk) != (sf_count_t)chunk) rc = -1;
  free(x);
  sf_close(f);
  return rc;
}

static void bench_process_rss(const Bench *b)
{
  printf("\n## Peak RSS of quell-process on a 10-minute 48 kHz mono file\n\n");
  if (!b->process || access(b->process, X_OK) != 0) {
    printf("skipped: %s not built (host-test/)\n", b->process ? b->process : "quell-process");
    return;
  }
  char in[4096], out[4096], bundle_dir[4096];
  snprintf(in, sizeof in, "%s/bench-10min.wav", b->workdir);
  snprintf(out, sizeof out, "%s/bench-10min-out.wav", b->workdir);
  if (bench_write_long_file(in, 600.0)) {
    printf("skipped: cannot write %s\n", in);
    return;
  }
  /* LV2_PATH is the folder holding the bundle. */
  snprintf(bundle_dir, sizeof bundle_dir, "%s", b->bundle);
  char *slash = strrchr(bundle_dir, '/');
  if (slash) *slash = '\0';
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("LV2_PATH", bundle_dir, 1);
    if (b->model_path) setenv("QUELL_MODEL", b->model_path, 1);
    execl(b->process, b->process, "--quiet", "--force", in, out, (char *)NULL);
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  struct timespec w0, w1;
  clock_gettime(CLOCK_MONOTONIC, &w0);
  if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
    printf("skipped: cannot run %s\n", b->process);
    return;
  }
  clock_gettime(CLOCK_MONOTONIC, &w1);
  const double cpu = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
                     (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
  printf("%s: exit %d, peak RSS %.1f MB, %.2f s CPU, %.2f s wall for 600 s of audio "
         "(input file %.1f MB)\n",
         b->process, WIFEXITED(status) ? WEXITSTATUS(status) : -1, ru.ru_maxrss / 1024.0, cpu,
         (double)(w1.tv_sec - w0.tv_sec) + 1e-9 * (double)(w1.tv_nsec - w0.tv_nsec),
         600.0 * 48000 * 2 / 1e6);
  unlink(in);
  unlink(out);
}

/* One fixed job for callgrind: instructions are counted only inside quell_engine_process
 * (--toggle-collect), so set-up and signal generation do not blur the figure. */
static int bench_callgrind_job(Bench *b, double rate, int ch, uint32_t block, double seconds)
{
  char err[256];
  QuellEngine *e = quell_engine_create(b->model, rate, ch, err, sizeof err);
  if (!e) {
    fprintf(stderr, "bench_quell: %s\n", err);
    return 1;
  }
  const size_t total = (size_t)(rate * seconds);
  float *sig = malloc(sizeof(float) * total), *out[2];
  bench_signal(sig, total, rate, BENCH_SIGNAL_NORMAL, 7);
  out[0] = malloc(sizeof(float) * block);
  out[1] = malloc(sizeof(float) * block);
  for (size_t pos = 0; pos + block <= total; pos += block) {
    const float *in[2] = {sig + pos, sig + pos};
    quell_engine_process(e, in, out, block);
  }
  quell_engine_destroy(e);
  free(sig);
  free(out[0]);
  free(out[1]);
  return 0;
}

int main(int argc, char **argv)
{
  Bench b = {.seconds = 5.0, .repeats = 5, .bundle = "build/test-lv2/quell.lv2",
             .workdir = "build/bench"};
  const char *s = getenv("BENCH_SECONDS"), *r = getenv("BENCH_REPEATS");
  if (s && atof(s) > 0) b.seconds = atof(s);
  if (r && atoi(r) > 0) b.repeats = atoi(r);
  const char *sh = getenv("BENCH_SILENCE_HOURS");
  double silence_hours = sh ? atof(sh) : 0.0;
  int silence_only = 0;
  int callgrind = 0, cg_ch = 1;
  double cg_rate = 48000, cg_seconds = 10;
  uint32_t cg_block = 480;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--model") && i + 1 < argc) b.model_path = argv[++i][0] ? argv[i] : NULL;
    else if (!strcmp(argv[i], "--bundle") && i + 1 < argc) b.bundle = argv[++i];
    else if (!strcmp(argv[i], "--process") && i + 1 < argc) b.process = argv[++i];
    else if (!strcmp(argv[i], "--workdir") && i + 1 < argc) b.workdir = argv[++i];
    else if (!strcmp(argv[i], "--silence-hours") && i + 1 < argc) {
      silence_hours = atof(argv[++i]);
      silence_only = 1;
    } else if (!strcmp(argv[i], "--callgrind") && i + 4 < argc) {
      callgrind = 1;
      cg_rate = atof(argv[++i]);
      cg_ch = atoi(argv[++i]);
      cg_block = (uint32_t)atoi(argv[++i]);
      cg_seconds = atof(argv[++i]);
    } else {
      fprintf(stderr, "usage: %s [--model PATH] [--bundle DIR] [--process EXE] [--workdir DIR]\n"
                      "       %s --callgrind RATE CHANNELS BLOCK SECONDS [--model PATH]\n"
                      "       %s --silence-hours H [--model PATH]\n",
              argv[0], argv[0], argv[0]);
      return 2;
    }
  }
  if (bench_load_model(&b)) return 1;
  if (callgrind) return bench_callgrind_job(&b, cg_rate, cg_ch, cg_block, cg_seconds);
  if (silence_only) {
    bench_silence_row(&b, silence_hours);
    quell_model_free(b.model);
    free(b.blob);
    return 0;
  }

  mkdir(b.workdir, 0755);
  /* The plugin reads its weights from QUELL_MODEL when set, so both paths bench one model. */
  if (b.model_path) setenv("QUELL_MODEL", b.model_path, 1);
  QuellConfig cfg;
  quell_train_model_config(b.model, &cfg);
  printf("# Quell benchmark\n\nmodel: %s (%zu parameters, %zu-byte blob)\n",
         b.model_path ? b.model_path : "fixture blob of the default config (random weights)",
         quell_model_parameter_count(b.model), b.blob_size);

  BenchLilv h = {0};
  const int have_lv2 = bench_lilv_open(&h, b.bundle) == 0;
  bench_engine_table(&b);
  bench_longest_call_table(&b, have_lv2 ? &h : NULL);
  if (have_lv2) bench_lv2_table(&b, &h);
  else printf("\n## LV2 run(): skipped, no Quell plugins in %s (make fixture-bundle)\n", b.bundle);
  bench_speex_table(&b);
  bench_denormal_rows(&b);
  bench_silence_row(&b, silence_hours);
  bench_memory_table(&b, have_lv2 ? &h : NULL);
  bench_process_rss(&b);
  if (h.world) lilv_world_free(h.world);
  quell_model_free(b.model);
  free(b.blob);
  return 0;
}
