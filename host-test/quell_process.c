/* quell_process.c — quell-process: denoise audio files offline through the real LV2 plugin.
 *
 *   quell-process [options] IN OUT
 *
 * It hosts the plugin bundle through lilv (no private engine shortcut), so it is also the
 * end-to-end test of the shipped plugin. The bundle is the one built or installed beside this
 * program, else the one on LV2_PATH, else on the standard LV2 path (quell_locate.h).
 *
 * The output has exactly the input's length and is aligned with it: the plugin's reported latency
 * L is read from its lv2:latency port, L zeros are fed after the input, and the first L output
 * frames are dropped.
 *
 * Rates: the plugin runs at 16..192 kHz. A file at another rate (8, 11.025, 12 kHz ...), or any
 * file when --rate asks for another processing rate, is converted to the processing rate on the
 * way in and back to its own rate on the way out (quell_resample.h: libsoxr, linear phase, so
 * alignment is kept); the few frames by which the converted length differs from the input's are
 * trimmed or padded at the end. Without --rate the processing rate is the file's own when the
 * plugin runs at it, else the nearest it runs at (16 kHz for the low rates).
 *
 * Channels: 1 -> the mono variant; 2 -> the stereo variant (gains linked); more -> one stereo
 * instance per pair of channels (1+2, 3+4, ...) and a mono instance for an odd last channel, so
 * gains are linked within each pair only. The output is written to a temporary file next to OUT
 * and renamed over it at the end, so a failed run never leaves half a file, and IN is replaced
 * only with --force.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sndfile.h>

#include "../dsp/quell.h" /* QUELL_MIN_RATE, QUELL_MAX_RATE: the rates the plugin runs at */
#include "quell_host.h"
#include "quell_locate.h"
#include "quell_report.h"
#include "quell_resample.h"

#define QUELL_URI_BASE "https://github.com/quell-audio/quell"
#define QUELL_PROCESS_URI_MONO QUELL_URI_BASE "#mono"
#define QUELL_PROCESS_URI_STEREO QUELL_URI_BASE "#stereo"

/* Exit codes follow sysexits.h so scripts can tell the failures apart. */
enum {
  QUELL_EXIT_OK = 0,
  QUELL_EXIT_USAGE = 64,       /* bad option, unknown control/preset, value out of range, OUT==IN */
  QUELL_EXIT_UNSUPPORTED = 65, /* IN is not audio libsndfile reads, or the plugin refuses its rate */
  QUELL_EXIT_NOINPUT = 66,     /* IN missing or unreadable */
  QUELL_EXIT_NOPLUGIN = 69,    /* plugin not found (quell_locate.h), or it needs a feature we lack */
  QUELL_EXIT_SOFTWARE = 70,    /* the plugin misbehaved (e.g. inconsistent latency) */
  QUELL_EXIT_CANTCREAT = 73,   /* OUT cannot be created */
  QUELL_EXIT_IOERR = 74,       /* read or write failed part-way */
  QUELL_EXIT_INTERRUPTED = 130
};

/* Frames per run() call: large enough to keep per-call overhead negligible, small enough that
 * every channel's buffers stay in cache. */
#define QUELL_PROCESS_BLOCK 4096
#define QUELL_PROCESS_MAX_SETS 64
/* Most frames a converted stream may come out short and be padded (libsoxr's rounding is a frame
 * or two); more would be a bug to report, not to hide. */
#define QUELL_PROCESS_MAX_PAD 16

static const char *quell_process_prog = "quell-process";
static volatile sig_atomic_t quell_process_stop;

static void quell_process_on_signal(int sig) {
  (void)sig;
  quell_process_stop = 1;
}

static void quell_process_usage(FILE *f) {
  fprintf(f,
          "usage: quell-process [options] IN OUT\n"
          "Denoise an audio file with the Quell LV2 plugin (any rate/channels libsndfile reads).\n"
          "  --uri URI          plugin URI (default: %s or %s by channel count)\n"
          "  --mono | --stereo  force the mono or stereo variant\n"
          "  --preset NAME      apply a preset (gentle, broadcast, meeting, music-safe, ...)\n"
          "  --set SYMBOL=VALUE set a control, after the preset (repeatable), e.g. atten_limit=12\n"
          "  --model FILE       use these weights (a .qwb, e.g. from quell-adapt) through the\n"
          "                     plugin's model parameter, as a host's file chooser does\n"
          "  --force            allow OUT to be the same file as IN\n"
          "  --rate HZ          run the plugin at HZ, converting the file to it and back\n"
          "                     (default: the file's rate; 16000 below 16 kHz, 192000 above\n"
          "                     192 kHz)\n"
          "  --float            write 32-bit float samples (containers that take them)\n"
          "  --report FILE      also draw what was removed (.png or .svg): input and output\n"
          "                     spectrograms, the reduction per band and the voice probability\n"
          "                     over time\n"
          "  --quiet            no progress bar\n"
          "  --verbose          print what is run to stderr\n"
          "  --print-controls   print the control values that would be used (then stop if no files)\n"
          "  --list-presets     print the presets of the plugin and exit\n"
          "The output has IN's rate and length, is latency-compensated and aligned with IN, and\n"
          "takes its container from OUT's extension (.wav .flac .ogg .opus .mp3 .aiff .caf .w64\n"
          ".au), else IN's. Sample format: IN's where OUT's container takes it; from a lossy IN\n"
          "(MP3, Vorbis, Opus) 16-bit; else 24-bit, 16-bit or float, the first the container takes.\n"
          "The plugin bundle: the one built or installed beside this program, else on LV2_PATH,\n"
          "else on the standard LV2 path (-v says which). Exit codes: 64 usage, 65 unsupported\n"
          "input (format or rate), 66 missing input, 69 plugin unavailable, 70 plugin error,\n"
          "73 cannot create output, 74 I/O error, 130 interrupted.\n",
          QUELL_PROCESS_URI_MONO, QUELL_PROCESS_URI_STEREO);
}

/* One-line error on stderr, then the exit code to return. */
static int quell_process_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int quell_process_fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", quell_process_prog);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return code;
}

typedef struct {
  const char *uri; /* NULL: chosen from the channel count */
  int force_mono, force_stereo, force, quiet, verbose, print_controls, list_presets, float_out;
  const char *preset;
  const char *model; /* --model FILE, or NULL */
  const char *report; /* --report FILE, or NULL */
  int rate; /* --rate, 0 = chosen from the file */
  const char *sets[QUELL_PROCESS_MAX_SETS];
  int n_sets;
  const char *in, *out;
} QuellProcessOptions;

/* Parses argv into o. Returns -1 to go on, or an exit code. */
static int quell_process_parse(int argc, char **argv, QuellProcessOptions *o) {
  const char *files[2];
  int n_files = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const int has_arg = i + 1 < argc;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      quell_process_usage(stdout);
      return QUELL_EXIT_OK;
    } else if (!strcmp(a, "--uri") && has_arg) {
      o->uri = argv[++i];
    } else if (!strcmp(a, "--mono")) {
      o->force_mono = 1;
    } else if (!strcmp(a, "--stereo")) {
      o->force_stereo = 1;
    } else if (!strcmp(a, "--preset") && has_arg) {
      o->preset = argv[++i];
    } else if (!strcmp(a, "--model") && has_arg) {
      o->model = argv[++i];
    } else if (!strcmp(a, "--set") && has_arg) {
      if (o->n_sets == QUELL_PROCESS_MAX_SETS)
        return quell_process_fail(QUELL_EXIT_USAGE, "too many --set options");
      o->sets[o->n_sets++] = argv[++i];
    } else if (!strcmp(a, "--rate") && has_arg) {
      char *end = NULL;
      const long r = strtol(argv[++i], &end, 10);
      if (end == argv[i] || *end || r < 1000 || r > 1000000)
        return quell_process_fail(QUELL_EXIT_USAGE, "--rate wants a rate in Hz (1000..1000000), "
                                  "got '%s'", argv[i]);
      o->rate = (int)r;
    } else if (!strcmp(a, "--report") && has_arg) {
      o->report = argv[++i];
      if (!quell_report_path_ok(o->report))
        return quell_process_fail(QUELL_EXIT_USAGE, "--report wants a .png or .svg file, got '%s'",
                                  o->report);
    } else if (!strcmp(a, "--force")) {
      o->force = 1;
    } else if (!strcmp(a, "--float")) {
      o->float_out = 1;
    } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
      o->quiet = 1;
    } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
      o->verbose = 1;
    } else if (!strcmp(a, "--print-controls")) {
      o->print_controls = 1;
    } else if (!strcmp(a, "--list-presets")) {
      o->list_presets = 1;
    } else if (a[0] == '-' && a[1] != '\0' && strcmp(a, "--")) {
      return quell_process_fail(QUELL_EXIT_USAGE, "unknown or incomplete option '%s' (try --help)",
                                a);
    } else {
      if (!strcmp(a, "--") && ++i >= argc) break;
      if (n_files == 2) return quell_process_fail(QUELL_EXIT_USAGE, "too many file arguments");
      files[n_files++] = argv[i];
    }
  }
  if ((o->force_mono && o->force_stereo) || (o->uri && (o->force_mono || o->force_stereo)))
    return quell_process_fail(QUELL_EXIT_USAGE, "--uri, --mono and --stereo exclude each other");
  if (n_files == 2) {
    o->in = files[0];
    o->out = files[1];
  } else if (n_files != 0 || !(o->print_controls || o->list_presets)) {
    return quell_process_fail(QUELL_EXIT_USAGE, "need IN and OUT files (try --help)");
  }
  return -1;
}

/* Applies the preset then the --set list to one instance. Returns 0 or an exit code. */
static int quell_process_controls(QuellHost *host, QuellHostInstance *inst,
                                  const QuellProcessOptions *o) {
  char err[1024];
  if (o->preset && quell_host_instance_apply_preset(host, inst, o->preset, err, sizeof err))
    return quell_process_fail(QUELL_EXIT_USAGE, "%s", err);
  if (o->model) {
    char info[300];
    if (quell_host_instance_set_model(host, inst, o->model, info, sizeof info, err, sizeof err))
      return quell_process_fail(QUELL_EXIT_UNSUPPORTED, "--model %s: %s", o->model, err);
    if (o->verbose) fprintf(stderr, "quell-process: model %s\n", info);
  }
  for (int i = 0; i < o->n_sets; i++) {
    char symbol[128];
    const char *eq = strchr(o->sets[i], '=');
    char *end = NULL;
    const float v = eq ? strtof(eq + 1, &end) : NAN;
    if (!eq || (size_t)(eq - o->sets[i]) >= sizeof symbol || end == eq + 1 || *end)
      return quell_process_fail(QUELL_EXIT_USAGE, "--set wants SYMBOL=NUMBER, got '%s'",
                                o->sets[i]);
    memcpy(symbol, o->sets[i], (size_t)(eq - o->sets[i]));
    symbol[eq - o->sets[i]] = '\0';
    if (quell_host_instance_set(inst, symbol, v, err, sizeof err))
      return quell_process_fail(QUELL_EXIT_USAGE, "%s", err);
  }
  return 0;
}

static void quell_process_print_controls(const QuellHostInstance *inst) {
  printf("# %s\n", lilv_node_as_uri(lilv_plugin_get_uri(inst->plugin)));
  for (uint32_t p = 0; p < inst->n_ports; p++)
    if (inst->ports[p].kind == QUELL_HOST_PORT_CONTROL_IN)
      printf("%s=%g\t(%g..%g, default %g)\n", inst->ports[p].symbol, inst->values[p],
             inst->ports[p].min, inst->ports[p].max, inst->ports[p].def);
}

static void quell_process_print_preset(const char *uri, const char *label, void *user) {
  (void)user;
  const char *frag = strrchr(uri, '#');
  printf("%s\t%s\t%s\n", frag ? frag + 1 : uri, label, uri);
}

/* Output format from OUT's extension; 0 if the extension is not one we know. */
static int quell_process_major_for(const char *path) {
  static const struct {
    const char *ext;
    int format;
  } map[] = {{"wav", SF_FORMAT_WAV},
             {"flac", SF_FORMAT_FLAC},
             {"ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
             {"oga", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
             {"opus", SF_FORMAT_OGG | SF_FORMAT_OPUS},
             {"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III},
             {"aif", SF_FORMAT_AIFF},
             {"aiff", SF_FORMAT_AIFF},
             {"caf", SF_FORMAT_CAF},
             {"w64", SF_FORMAT_W64},
             {"rf64", SF_FORMAT_RF64},
             {"au", SF_FORMAT_AU}};
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(slash ? slash : path, '.');
  if (!dot) return 0;
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcasecmp(dot + 1, map[i].ext)) return map[i].format;
  return 0;
}

/* The full output format: OUT's container, keeping IN's sample format where the container takes
 * it (so a 24-bit WAV stays 24-bit), else the first of a list of sensible encodings. A lossy
 * input has no sample format to keep: its decoded samples go out as 16-bit, as decoders write
 * them by default (24 bits would only store the codec's noise more exactly). */
static int quell_process_out_format(const char *out, const SF_INFO *in_info, int float_out) {
  const int chosen = quell_process_major_for(out);
  if (float_out) { /* asked for: float in OUT's container (or IN's), if it takes float */
    SF_INFO probe = {.samplerate = in_info->samplerate, .channels = in_info->channels};
    probe.format = ((chosen ? chosen : in_info->format) & SF_FORMAT_TYPEMASK) | SF_FORMAT_FLOAT;
    if (sf_format_check(&probe)) return probe.format;
  }
  if (!chosen || (chosen & SF_FORMAT_TYPEMASK) == (in_info->format & SF_FORMAT_TYPEMASK))
    return in_info->format;
  if (chosen & SF_FORMAT_SUBMASK) return chosen; /* codecs: ogg/vorbis, ogg/opus, mp3 */
  const int major = chosen & SF_FORMAT_TYPEMASK;
  /* Only plain sample formats carry over: a lossy input codec (MP3, Vorbis, Opus) means nothing
   * inside, say, a WAV, and libsndfile's format check does not always say so. */
  const int in_sub = in_info->format & SF_FORMAT_SUBMASK;
  const int plain = in_sub == SF_FORMAT_PCM_S8 || in_sub == SF_FORMAT_PCM_U8 ||
                    in_sub == SF_FORMAT_PCM_16 || in_sub == SF_FORMAT_PCM_24 ||
                    in_sub == SF_FORMAT_PCM_32 || in_sub == SF_FORMAT_FLOAT ||
                    in_sub == SF_FORMAT_DOUBLE;
  const int subtypes[] = {plain ? in_sub : SF_FORMAT_PCM_16, SF_FORMAT_PCM_24, SF_FORMAT_PCM_16,
                          SF_FORMAT_FLOAT};
  for (size_t i = 0; i < sizeof subtypes / sizeof subtypes[0]; i++) {
    SF_INFO probe = {.samplerate = in_info->samplerate,
                     .channels = in_info->channels,
                     .format = major | subtypes[i]};
    if (sf_format_check(&probe)) return probe.format;
  }
  return major | SF_FORMAT_PCM_16;
}

/* One plugin instance and the file channels it serves. A short group (an odd channel given to a
 * stereo plugin by --stereo or --uri) repeats its last channel and drops the extra outputs. */
typedef struct {
  QuellHostInstance *inst;
  int width;                       /* audio inputs of the plugin */
  int channel[QUELL_HOST_MAX_AUDIO]; /* file channel feeding each input */
  int used;                        /* how many of those outputs are written back */
} QuellProcessGroup;

typedef struct {
  QuellProcessOptions opt;
  QuellLocation where; /* where the plugin bundle is looked for */
  QuellHost *host;
  QuellProcessGroup *groups;
  int n_groups;
  SNDFILE *in, *out;
  SF_INFO in_info, out_info;
  double proc_rate;          /* the rate the plugin runs at */
  QuellResampler *to_proc;   /* file rate -> processing rate; NULL when they are equal */
  QuellResampler *from_proc; /* and back */
  float *interleaved; /* QUELL_PROCESS_BLOCK * channels: file reads, then the plugin's output */
  float *planar_in;   /* channels x QUELL_PROCESS_BLOCK */
  float *planar_out;  /* channels x QUELL_PROCESS_BLOCK */
  float *scratch;     /* outputs that are dropped */
  /* The plugin stage, counted at the processing rate: frames fed in, frames run (fed plus the
   * zeros that flush the latency out), frames passed on; the latency, -1 until the first run. */
  sf_count_t fed, pushed, emitted;
  int64_t latency;
  /* The writer, at the file's rate: frames written, and the most it may write (the input's
   * length once the whole input has been read; converted streams may run a frame or two over). */
  sf_count_t written, write_limit;
  int last_pct;
  char tmp_path[PATH_MAX];
  QuellReport *report; /* --report: fed the plugin's input and aligned output */
  int32_t voice_port;  /* the first instance's voice_prob output, -1 if none */
} QuellProcess;

static int quell_process_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* "plugin <uri> not found in <where>" for exit 69, naming the folder looked beside. */
static int quell_process_not_found(const QuellProcess *qp, const char *uri) {
  char where[PATH_MAX + 128];
  quell_locate_describe(&qp->where, where, sizeof where);
  if (qp->where.n_bundles)
    return quell_process_fail(QUELL_EXIT_NOPLUGIN, "plugin <%s> not found in %s", uri, where);
  return quell_process_fail(QUELL_EXIT_NOPLUGIN,
                            "plugin <%s> not found in %s, nor beside this program in %s", uri,
                            where, qp->where.program_dir[0] ? qp->where.program_dir : "(unknown)");
}

/* Builds the plugin instances for the channel layout of IN. Returns 0 or an exit code. */
static int quell_process_make_groups(QuellProcess *qp, double rate, int channels) {
  const QuellProcessOptions *o = &qp->opt;
  qp->groups = calloc((size_t)channels, sizeof *qp->groups);
  if (!qp->groups) return quell_process_fail(QUELL_EXIT_SOFTWARE, "out of memory");
  int c = 0;
  while (c < channels) {
    const int left = channels - c;
    const char *uri = o->uri                ? o->uri
                      : o->force_mono       ? QUELL_PROCESS_URI_MONO
                      : o->force_stereo     ? QUELL_PROCESS_URI_STEREO
                      : left >= 2           ? QUELL_PROCESS_URI_STEREO
                                            : QUELL_PROCESS_URI_MONO;
    char err[1024];
    if (!quell_host_plugin(qp->host, uri, err, sizeof err)) return quell_process_not_found(qp, uri);
    /* The plugin is there, so a refusal is about this file (typically the rate). */
    QuellHostInstance *inst =
        quell_host_instance_new(qp->host, uri, rate, QUELL_PROCESS_BLOCK, err, sizeof err);
    if (!inst)
      return quell_process_fail(QUELL_EXIT_UNSUPPORTED,
                                "%s: %s; Quell runs at %g..%g Hz: pick one with --rate (the file "
                                "is converted to it and back)",
                                qp->opt.in, err, QUELL_MIN_RATE, QUELL_MAX_RATE);
    QuellProcessGroup *g = &qp->groups[qp->n_groups++];
    g->inst = inst;
    if (inst->n_audio_in == 0 || inst->n_audio_in != inst->n_audio_out)
      return quell_process_fail(QUELL_EXIT_NOPLUGIN,
                                "<%s> has %u audio inputs and %u outputs; need N and N, N >= 1",
                                uri, inst->n_audio_in, inst->n_audio_out);
    g->width = (int)inst->n_audio_in;
    g->used = g->width < left ? g->width : left;
    for (int k = 0; k < g->width; k++) g->channel[k] = c + (k < g->used ? k : g->used - 1);
    c += g->used;
    const int r = quell_process_controls(qp->host, inst, o);
    if (r) return r;
  }
  return 0;
}

/* Opens OUT's temporary sibling with IN's rate and channels. Returns 0 or an exit code. */
static int quell_process_open_out(QuellProcess *qp) {
  const char *out = qp->opt.out;
  const char *slash = strrchr(out, '/');
  const int dir_len = slash ? (int)(slash - out) + 1 : 0;
  if (snprintf(qp->tmp_path, sizeof qp->tmp_path, "%.*s.%s.quell-XXXXXX", dir_len, out,
               slash ? slash + 1 : out) >= (int)sizeof qp->tmp_path)
    return quell_process_fail(QUELL_EXIT_CANTCREAT, "%s: path too long", out);
  struct stat st;
  if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
    return quell_process_fail(QUELL_EXIT_CANTCREAT, "%s: is a directory", out);
  const int fd = mkstemp(qp->tmp_path);
  if (fd < 0) {
    const int e = errno;
    qp->tmp_path[0] = '\0';
    return quell_process_fail(QUELL_EXIT_CANTCREAT, "%s: cannot create: %s", out, strerror(e));
  }
  /* mkstemp makes 0600; give the result the permissions a plain open() would. */
  const mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) != 0) { /* harmless if it fails: the file is still ours */
  }
  qp->out_info = (SF_INFO){.samplerate = qp->in_info.samplerate,
                           .channels = qp->in_info.channels,
                           .format = quell_process_out_format(out, &qp->in_info,
                                                              qp->opt.float_out)};
  qp->out = sf_open_fd(fd, SFM_WRITE, &qp->out_info, SF_TRUE);
  if (!qp->out) {
    close(fd);
    return quell_process_fail(QUELL_EXIT_UNSUPPORTED, "%s: cannot write %d Hz, %d channels in "
                              "this format: %s", out, qp->in_info.samplerate,
                              qp->in_info.channels, sf_strerror(NULL));
  }
  /* Saturate rather than wrap when a float sample exceeds full scale in an integer format. */
  sf_command(qp->out, SFC_SET_CLIPPING, NULL, SF_TRUE);
  return 0;
}

static void quell_process_progress(QuellProcess *qp) {
  if (qp->opt.quiet || !isatty(STDERR_FILENO) || qp->in_info.frames <= 0) return;
  int pct = (int)(100.0 * (double)qp->written / (double)qp->in_info.frames);
  if (pct > 100) pct = 100;
  if (pct == qp->last_pct) return;
  qp->last_pct = pct;
  char bar[41];
  const int fill = pct * 40 / 100;
  for (int i = 0; i < 40; i++) bar[i] = i < fill ? '#' : '.';
  bar[40] = '\0';
  fprintf(stderr, "\r%s: [%s] %3d%%", quell_process_prog, bar, pct);
  if (pct == 100) fputc('\n', stderr);
}

/* The pipeline, each stage handing interleaved frames to the next:
 *   read (file rate) -> [to_proc] -> plugin (processing rate) -> [from_proc] -> write (file rate)
 * Stages return 0, or an exit code that stops the run. */

/* Last stage: writes frames, never past write_limit. */
static int quell_process_write(void *user, const float *frames, size_t n) {
  QuellProcess *qp = user;
  sf_count_t len = (sf_count_t)n;
  if (len > qp->write_limit - qp->written) len = qp->write_limit - qp->written;
  if (len <= 0) return 0;
  if (sf_writef_float(qp->out, frames, len) != len)
    return quell_process_fail(QUELL_EXIT_IOERR, "%s: write error: %s", qp->opt.out,
                              sf_strerror(qp->out));
  qp->written += len;
  quell_process_progress(qp);
  return 0;
}

static int quell_process_after_plugin(QuellProcess *qp, const float *frames, size_t n) {
  if (!qp->from_proc) return quell_process_write(qp, frames, n);
  const int r = quell_resampler_push(qp->from_proc, frames, n, quell_process_write, qp);
  if (r < 0)
    return quell_process_fail(QUELL_EXIT_SOFTWARE, "resampling back to %d Hz: %s",
                              qp->in_info.samplerate, quell_resampler_error(qp->from_proc));
  return r;
}

/* Runs every group over n frames (n <= QUELL_PROCESS_BLOCK) of `in`, or of zeros when in is NULL,
 * then passes on the output frames that line up with input frames (index - latency in
 * 0..fed-1). */
static int quell_process_run(QuellProcess *qp, const float *in, sf_count_t n) {
  const int channels = qp->in_info.channels;
  for (int c = 0; c < channels; c++) {
    float *dst = qp->planar_in + (size_t)c * QUELL_PROCESS_BLOCK;
    for (sf_count_t i = 0; i < n; i++) dst[i] = in ? in[i * channels + c] : 0.0f;
  }
  for (int gi = 0; gi < qp->n_groups; gi++) {
    QuellProcessGroup *g = &qp->groups[gi];
    for (int k = 0; k < g->width; k++) {
      lilv_instance_connect_port(g->inst->instance, g->inst->audio_in[k],
                                 qp->planar_in + (size_t)g->channel[k] * QUELL_PROCESS_BLOCK);
      float *dst = k < g->used ? qp->planar_out + (size_t)g->channel[k] * QUELL_PROCESS_BLOCK
                               : qp->scratch;
      lilv_instance_connect_port(g->inst->instance, g->inst->audio_out[k], dst);
    }
    lilv_instance_run(g->inst->instance, (uint32_t)n);
  }
  if (qp->latency < 0) {
    /* The latency is constant per instance and written on every run(): read it once. */
    for (int gi = 0; gi < qp->n_groups; gi++) {
      const float l = quell_host_instance_latency(qp->groups[gi].inst);
      const int64_t li = l < 0 ? 0 : (int64_t)lrintf(l);
      if (gi > 0 && li != qp->latency)
        return quell_process_fail(QUELL_EXIT_SOFTWARE,
                                  "instances report different latencies (%lld vs %lld)",
                                  (long long)qp->latency, (long long)li);
      qp->latency = li;
    }
    if (qp->opt.verbose)
      fprintf(stderr, "%s: latency %lld frames at %g Hz (compensated)\n", quell_process_prog,
              (long long)qp->latency, qp->proc_rate);
  }
  if (qp->report && qp->voice_port >= 0) /* the probability of the frame now leaving */
    quell_report_voice(qp->report, qp->pushed + n - qp->latency,
                       qp->groups[0].inst->values[qp->voice_port]);
  /* Output frame j (counting from the first run) is input frame j - latency. */
  const sf_count_t first = qp->pushed > qp->latency ? qp->pushed : qp->latency;
  sf_count_t last = qp->pushed + n; /* exclusive */
  if (last > qp->latency + qp->fed) last = qp->latency + qp->fed;
  qp->pushed += n;
  if (last <= first) return 0;
  const sf_count_t off = first - (qp->pushed - n), len = last - first;
  for (sf_count_t i = 0; i < len; i++)
    for (int c = 0; c < channels; c++)
      qp->interleaved[i * channels + c] =
          qp->planar_out[(size_t)c * QUELL_PROCESS_BLOCK + (size_t)(off + i)];
  qp->emitted += len;
  if (qp->report && quell_report_push_output(qp->report, qp->interleaved, (size_t)len, channels))
    return quell_process_fail(QUELL_EXIT_SOFTWARE, "out of memory");
  return quell_process_after_plugin(qp, qp->interleaved, (size_t)len);
}

/* Plugin stage input: frames at the processing rate, in runs of at most one block. */
static int quell_process_plugin_push(void *user, const float *frames, size_t n) {
  QuellProcess *qp = user;
  const int channels = qp->in_info.channels;
  while (n > 0 && !quell_process_stop) {
    const sf_count_t len = n < QUELL_PROCESS_BLOCK ? (sf_count_t)n : QUELL_PROCESS_BLOCK;
    if (qp->report && quell_report_push_input(qp->report, frames, (size_t)len, channels))
      return quell_process_fail(QUELL_EXIT_SOFTWARE, "out of memory");
    qp->fed += len;
    const int r = quell_process_run(qp, frames, len);
    if (r) return r;
    frames += len * channels;
    n -= (size_t)len;
  }
  return 0;
}

/* After the last input frame: zeros until every input frame has come out. */
static int quell_process_plugin_finish(QuellProcess *qp) {
  while (qp->fed > 0 && qp->emitted < qp->fed && !quell_process_stop) {
    sf_count_t n = qp->latency + qp->fed - qp->pushed;
    if (n > QUELL_PROCESS_BLOCK) n = QUELL_PROCESS_BLOCK;
    const int r = quell_process_run(qp, NULL, n);
    if (r) return r;
  }
  return 0;
}

/* The whole file: read, convert, run, convert back, write IN's length. */
static int quell_process_stream(QuellProcess *qp) {
  const int channels = qp->in_info.channels;
  float *block = malloc((size_t)QUELL_PROCESS_BLOCK * (size_t)channels * sizeof *block);
  if (!block) return quell_process_fail(QUELL_EXIT_SOFTWARE, "out of memory");
  sf_count_t read_total = 0;
  int r = 0;
  qp->latency = -1;
  qp->write_limit = INT64_MAX;
  qp->last_pct = -1;
  for (int gi = 0; gi < qp->n_groups; gi++) lilv_instance_activate(qp->groups[gi].inst->instance);
  while (!r && !quell_process_stop) {
    const sf_count_t got = sf_readf_float(qp->in, block, QUELL_PROCESS_BLOCK);
    if (got < 0 || (got < QUELL_PROCESS_BLOCK && sf_error(qp->in))) {
      r = quell_process_fail(QUELL_EXIT_IOERR, "%s: read error: %s", qp->opt.in,
                             sf_strerror(qp->in));
      break;
    }
    read_total += got;
    if (got > 0) {
      if (qp->to_proc) {
        r = quell_resampler_push(qp->to_proc, block, (size_t)got, quell_process_plugin_push, qp);
        if (r < 0)
          r = quell_process_fail(QUELL_EXIT_SOFTWARE, "resampling to %g Hz: %s", qp->proc_rate,
                                 quell_resampler_error(qp->to_proc));
      } else {
        r = quell_process_plugin_push(qp, block, (size_t)got);
      }
    }
    if (got < QUELL_PROCESS_BLOCK) break;
  }
  free(block);
  qp->write_limit = read_total;
  if (!r && qp->to_proc && !quell_process_stop) {
    r = quell_resampler_finish(qp->to_proc, quell_process_plugin_push, qp);
    if (r < 0)
      r = quell_process_fail(QUELL_EXIT_SOFTWARE, "resampling to %g Hz: %s", qp->proc_rate,
                             quell_resampler_error(qp->to_proc));
  }
  if (!r && !quell_process_stop) r = quell_process_plugin_finish(qp);
  if (!r && qp->from_proc && !quell_process_stop) {
    r = quell_resampler_finish(qp->from_proc, quell_process_write, qp);
    if (r < 0)
      r = quell_process_fail(QUELL_EXIT_SOFTWARE, "resampling back to %d Hz: %s",
                             qp->in_info.samplerate, quell_resampler_error(qp->from_proc));
  }
  for (int gi = 0; gi < qp->n_groups; gi++)
    lilv_instance_deactivate(qp->groups[gi].inst->instance);
  if (quell_process_stop) return quell_process_fail(QUELL_EXIT_INTERRUPTED, "interrupted");
  if (r) return r;
  /* A converted stream can end a frame or two short of the input (libsoxr rounds its length):
   * pad the end with silence so the output keeps IN's length exactly. */
  const sf_count_t short_by = read_total - qp->written;
  if (short_by > 0 && short_by <= QUELL_PROCESS_MAX_PAD && qp->from_proc) {
    float *zeros = calloc((size_t)short_by * (size_t)channels, sizeof *zeros);
    if (!zeros) return quell_process_fail(QUELL_EXIT_SOFTWARE, "out of memory");
    r = quell_process_write(qp, zeros, (size_t)short_by);
    free(zeros);
    if (r) return r;
    if (qp->opt.verbose)
      fprintf(stderr, "%s: %lld frame(s) of silence padded at the end (resampled length)\n",
              quell_process_prog, (long long)short_by);
  }
  if (qp->written != read_total)
    return quell_process_fail(QUELL_EXIT_SOFTWARE, "wrote %lld frames for %lld read",
                              (long long)qp->written, (long long)read_total);
  if (qp->opt.verbose)
    fprintf(stderr, "%s: %lld frames written to %s\n", quell_process_prog, (long long)qp->written,
            qp->opt.out);
  return 0;
}

static void quell_process_cleanup(QuellProcess *qp) {
  for (int gi = 0; gi < qp->n_groups; gi++) quell_host_instance_free(qp->groups[gi].inst);
  free(qp->groups);
  if (qp->in) sf_close(qp->in);
  if (qp->out) sf_close(qp->out);
  if (qp->tmp_path[0]) unlink(qp->tmp_path);
  quell_resampler_free(qp->to_proc);
  quell_resampler_free(qp->from_proc);
  quell_report_free(qp->report);
  free(qp->interleaved);
  free(qp->planar_in);
  free(qp->planar_out);
  free(qp->scratch);
  quell_host_free(qp->host);
}

/* Where the plugin came from, for -v: the bundle lilv loaded it from and why that one. */
static void quell_process_print_bundle(const QuellProcess *qp, const LilvPlugin *plugin) {
  char where[PATH_MAX + 128];
  char *path = lilv_file_uri_parse(lilv_node_as_uri(lilv_plugin_get_bundle_uri(plugin)), NULL);
  quell_locate_describe(&qp->where, where, sizeof where);
  if (qp->where.n_bundles)
    fprintf(stderr, "%s: plugin bundle %s\n", quell_process_prog, where);
  else
    fprintf(stderr, "%s: plugin bundle %s (found on %s)\n", quell_process_prog,
            path ? path : "?", where);
  lilv_free(path);
}

/* The processing rate: --rate, else the file's own when the plugin runs at it, else the
 * nearest rate it runs at. */
static double quell_process_choose_rate(const QuellProcessOptions *o, int file_rate) {
  if (o->rate > 0) return o->rate;
  if (file_rate < QUELL_MIN_RATE) return QUELL_MIN_RATE;
  if (file_rate > QUELL_MAX_RATE) return QUELL_MAX_RATE;
  return file_rate;
}

static int quell_process_main(QuellProcess *qp, int argc, char **argv) {
  QuellProcessOptions *o = &qp->opt;
  int r = quell_process_parse(argc, argv, o);
  if (r >= 0) return r;

  char err[1024];
  quell_locate(argv[0], &qp->where);
  const char *bundles[2] = {qp->where.bundles[0], qp->where.bundles[1]};
  qp->host = quell_host_new_bundles(bundles, (size_t)qp->where.n_bundles, err, sizeof err);
  if (!qp->host) return quell_process_fail(QUELL_EXIT_NOPLUGIN, "%s", err);

  if (!o->in) { /* --list-presets / --print-controls without files: a 48 kHz instance */
    const char *uri = o->uri ? o->uri : o->force_stereo ? QUELL_PROCESS_URI_STEREO
                                                        : QUELL_PROCESS_URI_MONO;
    const LilvPlugin *plugin = quell_host_plugin(qp->host, uri, err, sizeof err);
    if (!plugin) return quell_process_not_found(qp, uri);
    if (o->verbose) quell_process_print_bundle(qp, plugin);
    if (o->list_presets) {
      quell_host_presets_each(qp->host, uri, quell_process_print_preset, NULL);
      return 0;
    }
    QuellHostInstance *inst = quell_host_instance_new(qp->host, uri, 48000.0, QUELL_PROCESS_BLOCK,
                                                      err, sizeof err);
    if (!inst) return quell_process_fail(QUELL_EXIT_NOPLUGIN, "%s", err);
    r = quell_process_controls(qp->host, inst, o);
    if (!r) quell_process_print_controls(inst);
    quell_host_instance_free(inst);
    return r;
  }

  /* IN: tell "missing" from "not audio" before libsndfile blurs them. */
  struct stat st;
  if (stat(o->in, &st) != 0 || access(o->in, R_OK) != 0)
    return quell_process_fail(QUELL_EXIT_NOINPUT, "%s: %s", o->in, strerror(errno));
  if (S_ISDIR(st.st_mode)) return quell_process_fail(QUELL_EXIT_NOINPUT, "%s: is a directory", o->in);
  qp->in = sf_open(o->in, SFM_READ, &qp->in_info);
  if (!qp->in)
    return quell_process_fail(QUELL_EXIT_UNSUPPORTED, "%s: not a readable audio file: %s", o->in,
                              sf_strerror(NULL));
  if (qp->in_info.channels < 1)
    return quell_process_fail(QUELL_EXIT_UNSUPPORTED, "%s: no channels", o->in);
  if ((!strcmp(o->in, o->out) || quell_process_same_file(o->in, o->out)) && !o->force)
    return quell_process_fail(QUELL_EXIT_USAGE, "%s: OUT is IN; refusing to overwrite the input "
                              "without --force", o->out);

  const int file_rate = qp->in_info.samplerate;
  qp->proc_rate = quell_process_choose_rate(o, file_rate);
  r = quell_process_make_groups(qp, qp->proc_rate, qp->in_info.channels);
  if (r) return r;
  if (o->report) {
    qp->report = quell_report_new(qp->proc_rate, err, sizeof err);
    if (!qp->report) return quell_process_fail(QUELL_EXIT_SOFTWARE, "%s", err);
    qp->voice_port = quell_host_instance_port(qp->groups[0].inst, "voice_prob");
  }
  if (qp->proc_rate != file_rate) {
    const unsigned ch = (unsigned)qp->in_info.channels;
    qp->to_proc = quell_resampler_new(file_rate, qp->proc_rate, ch, err, sizeof err);
    if (qp->to_proc) qp->from_proc = quell_resampler_new(qp->proc_rate, file_rate, ch, err, sizeof err);
    if (!qp->from_proc) return quell_process_fail(QUELL_EXIT_UNSUPPORTED, "%s: %s", o->in, err);
  }
  if (o->print_controls) quell_process_print_controls(qp->groups[0].inst);
  if (o->verbose) {
    quell_process_print_bundle(qp, qp->groups[0].inst->plugin);
    fprintf(stderr, "%s: %s: %d Hz, %d channel(s), %lld frames; %d instance(s) of <%s>%s\n",
            quell_process_prog, o->in, file_rate, qp->in_info.channels,
            (long long)qp->in_info.frames, qp->n_groups,
            lilv_node_as_uri(lilv_plugin_get_uri(qp->groups[0].inst->plugin)),
            qp->in_info.channels > 2 ? " (gains linked within pairs only)" : "");
    if (qp->to_proc)
      fprintf(stderr, "%s: processing at %g Hz, resampled in and back out (%s)\n",
              quell_process_prog, qp->proc_rate, quell_resampler_engine());
  }

  const size_t ch = (size_t)qp->in_info.channels;
  qp->interleaved = malloc(QUELL_PROCESS_BLOCK * ch * sizeof(float));
  qp->planar_in = calloc(QUELL_PROCESS_BLOCK * ch, sizeof(float));
  qp->planar_out = calloc(QUELL_PROCESS_BLOCK * ch, sizeof(float));
  qp->scratch = calloc(QUELL_PROCESS_BLOCK, sizeof(float));
  if (!qp->interleaved || !qp->planar_in || !qp->planar_out || !qp->scratch)
    return quell_process_fail(QUELL_EXIT_SOFTWARE, "out of memory");

  r = quell_process_open_out(qp);
  if (r) return r;
  r = quell_process_stream(qp);
  if (r) return r;
  const int close_failed = sf_close(qp->out) != 0;
  qp->out = NULL;
  if (close_failed)
    return quell_process_fail(QUELL_EXIT_IOERR, "%s: error finishing the file", o->out);
  if (rename(qp->tmp_path, o->out) != 0)
    return quell_process_fail(QUELL_EXIT_CANTCREAT, "%s: cannot replace: %s", o->out,
                              strerror(errno));
  qp->tmp_path[0] = '\0';
  if (qp->report) {
    char title[PATH_MAX * 2 + 32];
    snprintf(title, sizeof title, "Quell: %s -> %s", o->in, o->out);
    if (quell_report_write(qp->report, o->report, title, err, sizeof err))
      return quell_process_fail(QUELL_EXIT_CANTCREAT, "%s", err);
    if (o->verbose) fprintf(stderr, "%s: report written to %s\n", quell_process_prog, o->report);
  }
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGINT, quell_process_on_signal);
  signal(SIGTERM, quell_process_on_signal);
  QuellProcess qp;
  memset(&qp, 0, sizeof qp);
  const int r = quell_process_main(&qp, argc, argv);
  quell_process_cleanup(&qp);
  return r;
}
