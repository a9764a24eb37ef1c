/* speex_denoise — the classic baseline for Quell's evaluation and benchmarks: the speexdsp
 * preprocessor's noise suppressor (Debian libspeexdsp) run over a file.
 *
 *   speex_denoise [--frame-ms 10|20] [--suppress DB] [--no-compensate] IN OUT
 *
 * Denoise on, AGC/VAD/dereverb off, default suppression (-15 dB) unless --suppress is given.
 * Frames are 10 or 20 ms at the file's own rate (no resampling). Each channel gets its own
 * preprocessor state. The output has the input's length and is delay-compensated, so it can be
 * scored sample-aligned against the clean reference (see SPEEX_DELAY_FRAMES for why and how much).
 * OUT is 16-bit PCM (the preprocessor works on 16-bit samples): FLAC if OUT ends in .flac, else WAV. */
#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <speex/speex_preprocess.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The preprocessor analyses a 2N-sample window (the previous frame and the new one) and
 * overlap-adds the synthesis, so the samples it returns for frame k belong to frame k-1: a
 * delay of exactly one frame, nothing beyond the framing. Measured with --no-compensate on
 * noise and speech (cross-correlation peak at +N samples at 8, 16 and 48 kHz) and checked by
 * tests/test_metrics_baseline.sh. */
#define SPEEX_DELAY_FRAMES 1

typedef struct {
  int frame_ms;
  int suppress_db; /* negative dB, speexdsp's own convention */
  int compensate;
  const char *in_path;
  const char *out_path;
} SpeexDenoiseOptions;

static void print_usage(FILE *to) {
  fprintf(to, "usage: speex_denoise [--frame-ms 10|20] [--suppress DB] [--no-compensate] IN OUT\n");
}

/* Returns 0 and fills opts, or -1 after printing why. */
static int parse_options(int argc, char **argv, SpeexDenoiseOptions *opts) {
  opts->frame_ms = 20;
  opts->suppress_db = -15; /* speexdsp's default (NOISE_SUPPRESS_DEFAULT in preprocess.c) */
  opts->compensate = 1;
  opts->in_path = opts->out_path = NULL;
  int positional = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--frame-ms") && i + 1 < argc) {
      opts->frame_ms = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--suppress") && i + 1 < argc) {
      opts->suppress_db = -abs(atoi(argv[++i]));
    } else if (!strcmp(argv[i], "--no-compensate")) {
      opts->compensate = 0;
    } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      print_usage(stdout);
      exit(0);
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "speex_denoise: unknown option '%s'\n", argv[i]);
      return -1;
    } else if (positional == 0) {
      opts->in_path = argv[i];
      positional++;
    } else if (positional == 1) {
      opts->out_path = argv[i];
      positional++;
    } else {
      fprintf(stderr, "speex_denoise: too many arguments\n");
      return -1;
    }
  }
  if (positional != 2) {
    print_usage(stderr);
    return -1;
  }
  if (opts->frame_ms != 10 && opts->frame_ms != 20) {
    fprintf(stderr, "speex_denoise: --frame-ms must be 10 or 20\n");
    return -1;
  }
  return 0;
}

static int ends_with(const char *s, const char *suffix) {
  const size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcasecmp(s + n - m, suffix);
}

static short float_to_pcm16(float x) {
  if (!(x == x)) return 0; /* NaN */
  const float scaled = x * 32768.0f;
  if (scaled >= 32767.0f) return 32767;
  if (scaled <= -32768.0f) return -32768;
  return (short)lrintf(scaled);
}

/* Denoises one channel of `frames` samples read with stride `channels` from `in` into `out`
 * (same stride), delay-compensated when `delay` > 0. Returns 0, or -1 if speexdsp refuses. */
static int denoise_channel(const float *in, float *out, sf_count_t frames, int channels, int channel,
                           int rate, int frame_size, int suppress_db, sf_count_t delay) {
  SpeexPreprocessState *state = speex_preprocess_state_init(frame_size, rate);
  if (!state) return -1;
  int on = 1, off = 0;
  speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_DENOISE, &on);
  /* VAD is off by default; setting it at all prints a warning from speexdsp. */
  speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_AGC, &off);
  speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_DEREVERB, &off);
  speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &suppress_db);

  spx_int16_t *block = malloc(sizeof *block * (size_t)frame_size);
  if (!block) {
    speex_preprocess_state_destroy(state);
    return -1;
  }
  /* Feed input then zeros until every output sample (shifted by `delay`) has been produced. */
  const sf_count_t total = frames + delay;
  for (sf_count_t start = 0; start < total; start += frame_size) {
    for (int i = 0; i < frame_size; i++) {
      const sf_count_t t = start + i;
      block[i] = t < frames ? float_to_pcm16(in[t * channels + channel]) : 0;
    }
    speex_preprocess_run(state, block);
    for (int i = 0; i < frame_size; i++) {
      const sf_count_t t = start + i - delay;
      if (t >= 0 && t < frames) out[t * channels + channel] = (float)block[i] / 32768.0f;
    }
  }
  free(block);
  speex_preprocess_state_destroy(state);
  return 0;
}

int main(int argc, char **argv) {
  SpeexDenoiseOptions opts;
  if (parse_options(argc, argv, &opts) != 0) return 2;

  SF_INFO in_info;
  memset(&in_info, 0, sizeof in_info);
  SNDFILE *in_file = sf_open(opts.in_path, SFM_READ, &in_info);
  if (!in_file) {
    fprintf(stderr, "speex_denoise: cannot read '%s': %s\n", opts.in_path, sf_strerror(NULL));
    return 1;
  }
  const int rate = in_info.samplerate, channels = in_info.channels;
  const sf_count_t frames = in_info.frames;
  const int frame_size = rate * opts.frame_ms / 1000;
  if (frame_size < 8) {
    fprintf(stderr, "speex_denoise: sample rate %d is too low\n", rate);
    sf_close(in_file);
    return 1;
  }
  const size_t count = (size_t)frames * (size_t)channels;
  float *in = malloc(sizeof *in * (count ? count : 1));
  float *out = calloc(count ? count : 1, sizeof *out);
  if (!in || !out) {
    fprintf(stderr, "speex_denoise: out of memory for %lld frames\n", (long long)frames);
    free(in);
    free(out);
    sf_close(in_file);
    return 1;
  }
  const sf_count_t got = sf_readf_float(in_file, in, frames);
  sf_close(in_file);
  if (got != frames) {
    fprintf(stderr, "speex_denoise: short read from '%s' (%lld of %lld frames)\n", opts.in_path,
            (long long)got, (long long)frames);
    free(in);
    free(out);
    return 1;
  }

  const sf_count_t delay = opts.compensate ? (sf_count_t)SPEEX_DELAY_FRAMES * frame_size : 0;
  for (int c = 0; c < channels; c++) {
    if (denoise_channel(in, out, frames, channels, c, rate, frame_size, opts.suppress_db, delay) != 0) {
      fprintf(stderr, "speex_denoise: speexdsp refused frame size %d at %d Hz\n", frame_size, rate);
      free(in);
      free(out);
      return 1;
    }
  }

  SF_INFO out_info;
  memset(&out_info, 0, sizeof out_info);
  out_info.samplerate = rate;
  out_info.channels = channels;
  out_info.format = (ends_with(opts.out_path, ".flac") ? SF_FORMAT_FLAC : SF_FORMAT_WAV) | SF_FORMAT_PCM_16;
  SNDFILE *out_file = sf_open(opts.out_path, SFM_WRITE, &out_info);
  if (!out_file) {
    fprintf(stderr, "speex_denoise: cannot write '%s': %s\n", opts.out_path, sf_strerror(NULL));
    free(in);
    free(out);
    return 1;
  }
  const sf_count_t written = sf_writef_float(out_file, out, frames);
  sf_close(out_file);
  free(in);
  free(out);
  if (written != frames) {
    fprintf(stderr, "speex_denoise: short write to '%s': %s\n", opts.out_path, strerror(errno));
    return 1;
  }
  return 0;
}
