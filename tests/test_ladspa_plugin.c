/* test_ladspa_plugin — dlopens build/test-ladspa/quell_ladspa.so as a LADSPA host would:
 *  - two descriptors (quell_mono, quell_stereo) with the table's IDs, audio ports, an output
 *    control port named exactly "latency" (the name Ardour and Carla look for), sane range hints,
 *    and the defaults README.md's controls table gives for LADSPA hosts;
 *  - weights found beside the .so (dladdr) with QUELL_MODEL unset, and through QUELL_MODEL;
 *  - run() before activate tolerated and writes latency; with atten_limit = 0 the impulse delay
 *    and the output of noise match the latency port at block sizes 1, 7, 64, 480, 1000, 4096
 *    and random, at 44.1, 48 and 96 kHz;
 *  - a missing or corrupt blob, 8000 Hz and 384000 Hz: instantiate returns NULL with exactly one
 *    line on stderr, no crash. */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ladspa.h>

#include "../plugin/quell_ports.h"
#include "test_lv2_host.h"

#define CHECK test_lv2_host_check
#define MAX_PORTS 32

typedef struct {
  const LADSPA_Descriptor *d;
  LADSPA_Handle h;
  float control[MAX_PORTS];
  unsigned long audio_in[2], audio_out[2], channels, latency_port, atten_port;
} Inst;

/* Point f of the way from lo to hi, on a log scale for logarithmic ports (ladspa.h). */
static float hint_point(float lo, float hi, float f, int logarithmic) {
  return logarithmic ? expf((1.0f - f) * logf(lo) + f * logf(hi)) : (1.0f - f) * lo + f * hi;
}

/* Default value a LADSPA host derives from a hint (ladspa.h). */
static float hint_default(const LADSPA_PortRangeHint *r) {
  const LADSPA_PortRangeHintDescriptor h = r->HintDescriptor;
  const float lo = r->LowerBound, hi = r->UpperBound;
  const int lg = LADSPA_IS_HINT_LOGARITHMIC(h);
  switch (h & LADSPA_HINT_DEFAULT_MASK) {
  case LADSPA_HINT_DEFAULT_MINIMUM: return lo;
  case LADSPA_HINT_DEFAULT_LOW: return hint_point(lo, hi, 0.25f, lg);
  case LADSPA_HINT_DEFAULT_MIDDLE: return hint_point(lo, hi, 0.5f, lg);
  case LADSPA_HINT_DEFAULT_HIGH: return hint_point(lo, hi, 0.75f, lg);
  case LADSPA_HINT_DEFAULT_MAXIMUM: return hi;
  case LADSPA_HINT_DEFAULT_0: return 0.0f;
  case LADSPA_HINT_DEFAULT_1: return 1.0f;
  case LADSPA_HINT_DEFAULT_100: return 100.0f;
  case LADSPA_HINT_DEFAULT_440: return 440.0f;
  default: return 0.0f;
  }
}

/* The defaults a LADSPA host picks, as README.md's controls table states them: LADSPA can only
 * hint a quarter point of the range, so they differ from the LV2 defaults (gate_hold's 299 ms is
 * the 3/4 point of 1..2000 ms on a log scale). */
static const struct {
  const char *name;
  float def, tolerance;
} ladspa_documented_defaults[] = {
    {"Enabled", 1.0f, 0.0f},           {"Attenuation limit (dB)", 50.0f, 0.001f},
    {"Voice gate", 0.0f, 0.0f},        {"Gate threshold", 0.5f, 0.001f},
    {"Gate hold (ms)", 299.0f, 0.5f},  {"Gate floor (dB)", -20.0f, 0.001f}};

static void check_documented_default(const char *label, const char *port, float def) {
  size_t i;
  for (i = 0; i < sizeof ladspa_documented_defaults / sizeof ladspa_documented_defaults[0]; ++i) {
    if (strcmp(port, ladspa_documented_defaults[i].name)) continue;
    CHECK(fabsf(def - ladspa_documented_defaults[i].def) <= ladspa_documented_defaults[i].tolerance,
          "%s: '%s' defaults to %g in LADSPA, the README says %g", label, port, def,
          ladspa_documented_defaults[i].def);
    return;
  }
  CHECK(0, "%s: input '%s' has no documented LADSPA default", label, port);
}

/* Checks the descriptor's static description. */
static void check_descriptor(const LADSPA_Descriptor *d, unsigned long id, const char *label,
                             unsigned long channels) {
  unsigned long p, n_ain = 0, n_aout = 0, n_latency = 0;
  CHECK(d->UniqueID == id, "%s: UniqueID %lu, want %lu", label, d->UniqueID, id);
  CHECK(strcmp(d->Label, label) == 0, "label '%s', want '%s'", d->Label, label);
  CHECK(d->PortCount == 2 * channels + QUELL_CONTROL_COUNT, "%s: %lu ports, want %lu", label,
        d->PortCount, 2 * channels + QUELL_CONTROL_COUNT);
  CHECK(LADSPA_IS_HARD_RT_CAPABLE(d->Properties), "%s: not marked hard-RT capable", label);
  CHECK(!LADSPA_IS_INPLACE_BROKEN(d->Properties), "%s: marked in-place broken", label);
  CHECK(d->instantiate && d->connect_port && d->run && d->cleanup, "%s: missing callbacks", label);
  for (p = 0; p < d->PortCount && p < MAX_PORTS; ++p) {
    const LADSPA_PortDescriptor pd = d->PortDescriptors[p];
    const LADSPA_PortRangeHint *r = &d->PortRangeHints[p];
    CHECK(d->PortNames[p] && d->PortNames[p][0], "%s: port %lu has no name", label, p);
    CHECK(LADSPA_IS_PORT_INPUT(pd) != LADSPA_IS_PORT_OUTPUT(pd), "%s: port %lu direction", label,
          p);
    if (LADSPA_IS_PORT_AUDIO(pd)) {
      if (LADSPA_IS_PORT_INPUT(pd)) ++n_ain; else ++n_aout;
      CHECK(p < 2 * channels, "%s: audio port %lu after control ports", label, p);
    } else {
      if (strcmp(d->PortNames[p], "latency") == 0) {
        ++n_latency;
        CHECK(LADSPA_IS_PORT_OUTPUT(pd), "%s: latency port is not an output", label);
      }
      if (LADSPA_IS_PORT_INPUT(pd)) {
        check_documented_default(label, d->PortNames[p], hint_default(r));
      }
      if (LADSPA_IS_PORT_INPUT(pd) && !LADSPA_IS_HINT_TOGGLED(r->HintDescriptor)) {
        const float def = hint_default(r);
        CHECK(LADSPA_IS_HINT_BOUNDED_BELOW(r->HintDescriptor) &&
                  LADSPA_IS_HINT_BOUNDED_ABOVE(r->HintDescriptor) && r->LowerBound < r->UpperBound,
              "%s: port '%s' has no proper range", label, d->PortNames[p]);
        CHECK(LADSPA_IS_HINT_HAS_DEFAULT(r->HintDescriptor) && def >= r->LowerBound &&
                  def <= r->UpperBound,
              "%s: port '%s' default %g outside [%g, %g]", label, d->PortNames[p], def,
              r->LowerBound, r->UpperBound);
      }
    }
  }
  CHECK(n_ain == channels && n_aout == channels, "%s: %lu/%lu audio ports, want %lu each", label,
        n_ain, n_aout, channels);
  CHECK(n_latency == 1, "%s: %lu ports named 'latency', want 1", label, n_latency);
}

static int inst_open(Inst *in, const LADSPA_Descriptor *d, unsigned long rate) {
  unsigned long p, ai = 0, ao = 0;
  memset(in, 0, sizeof *in);
  in->d = d;
  in->h = d->instantiate(d, rate);
  if (!in->h) return -1;
  for (p = 0; p < d->PortCount && p < MAX_PORTS; ++p) {
    const LADSPA_PortDescriptor pd = d->PortDescriptors[p];
    if (LADSPA_IS_PORT_AUDIO(pd)) {
      if (LADSPA_IS_PORT_INPUT(pd)) in->audio_in[ai++ & 1] = p; else in->audio_out[ao++ & 1] = p;
      d->connect_port(in->h, p, NULL);
    } else {
      in->control[p] = LADSPA_IS_PORT_INPUT(pd) ? hint_default(&d->PortRangeHints[p]) : -1.0f;
      if (strcmp(d->PortNames[p], "latency") == 0) in->latency_port = p;
      if (strncmp(d->PortNames[p], "Attenuation", 11) == 0) in->atten_port = p;
      d->connect_port(in->h, p, &in->control[p]);
    }
  }
  in->channels = ai;
  return 0;
}

static uint32_t plan_block(int plan, uint32_t *rng) {
  return plan > 0 ? (uint32_t)plan : 1 + test_lv2_host_rand(rng) % 4096;
}

/* Impulse + noise through the instance at one block plan; checks delay and exactness. */
static void check_delay(Inst *in, double rate, int plan) {
  const uint32_t len = (uint32_t)(0.3 * rate);
  const uint32_t imp = (uint32_t)(0.05 * rate), noise_at = imp + (uint32_t)(0.05 * rate);
  float *x[2], *y[2];
  uint32_t c, t, pos = 0, rng = 31337u, latency;
  long found = -1;
  float peak = 0.0f;
  double err = 0.0;

  for (c = 0; c < in->channels; ++c) {
    x[c] = calloc(len, sizeof(float));
    y[c] = calloc(len, sizeof(float));
    x[c][imp + 5 * c] = 0.8f;
    for (t = noise_at; t < len; ++t) x[c][t] = test_lv2_host_noise(&rng, 0.5f);
  }
  in->control[in->atten_port] = 0.0f;
  in->d->activate(in->h);
  while (pos < len) {
    uint32_t n = plan_block(plan, &rng);
    if (n > len - pos) n = len - pos;
    for (c = 0; c < in->channels; ++c) {
      in->d->connect_port(in->h, in->audio_in[c], x[c] + pos);
      in->d->connect_port(in->h, in->audio_out[c], y[c] + pos);
    }
    in->d->run(in->h, n);
    pos += n;
  }
  latency = (uint32_t)in->control[in->latency_port];
  for (t = 0; t < noise_at; ++t) {
    if (fabsf(y[0][t]) > peak) {
      peak = fabsf(y[0][t]);
      found = (long)t - (long)imp;
    }
  }
  for (c = 0; c < in->channels; ++c) {
    for (t = 0; t < len; ++t) {
      const double want = t >= latency ? x[c][t - latency] : 0.0;
      const double e = fabs(y[c][t] - want);
      if (!(e <= err)) err = isfinite(e) ? e : INFINITY;
    }
    free(x[c]);
    free(y[c]);
  }
  printf("%-12s %6.0f Hz block %-6d latency port %4u  impulse delay %4ld  max err %.2e\n",
         in->d->Label, rate, plan, latency, found, err);
  CHECK(latency == 2u * (uint32_t)lround(rate * 0.005), "%s %.0f Hz: latency %u, want 2 hops",
        in->d->Label, rate, latency);
  CHECK(found == (long)latency, "%s %.0f Hz block %d: impulse delay %ld != latency port %u",
        in->d->Label, rate, plan, found, latency);
  CHECK(err <= 1e-5, "%s %.0f Hz block %d: max error %.3e", in->d->Label, rate, plan, err);
}

/* instantiate must fail with exactly one stderr line. */
static void expect_refusal(const LADSPA_Descriptor *d, unsigned long rate, const char *what) {
  char last[1024];
  LADSPA_Handle h;
  int lines;
  test_lv2_host_capture_begin();
  h = d->instantiate(d, rate);
  lines = test_lv2_host_capture_end(last, sizeof last);
  printf("%-12s %-22s %6lu Hz: %s", d->Label, what, rate, last);
  CHECK(h == NULL, "%s %s at %lu Hz: instantiate succeeded, want NULL", d->Label, what, rate);
  CHECK(lines == 1, "%s %s: want exactly one stderr line, got %d", d->Label, what, lines);
  if (h) d->cleanup(h);
}

int main(void) {
  static const double rates[] = {44100.0, 48000.0, 96000.0};
  static const int plans[] = {1, 7, 64, 480, 1000, 4096, -1};
  char so[4096], blob[4200], bad[4200];
  const char *build = test_lv2_host_build_dir();
  LADSPA_Descriptor_Function fn;
  const LADSPA_Descriptor *desc[2];
  void *lib;
  size_t v, r, p;

  snprintf(so, sizeof so, "%s/test-ladspa/quell_ladspa.so", build);
  snprintf(blob, sizeof blob, "%s/test-ladspa/quell.qwb", build);
  unsetenv("QUELL_MODEL"); /* first: the blob beside the .so, found with dladdr */
  lib = dlopen(so, RTLD_NOW | RTLD_LOCAL);
  if (!lib) test_lv2_host_die("dlopen %s: %s (run `make fixture-bundle`)", so, dlerror());
  fn = (LADSPA_Descriptor_Function)(uintptr_t)dlsym(lib, "ladspa_descriptor");
  if (!fn) test_lv2_host_die("%s exports no ladspa_descriptor", so);
  CHECK(dlsym(lib, "quell_glue_run") == NULL && dlsym(lib, "quell_engine_process") == NULL,
        "internal symbols are exported");
  desc[0] = fn(0);
  desc[1] = fn(1);
  CHECK(desc[0] && desc[1] && fn(2) == NULL, "want exactly two descriptors");
  if (!desc[0] || !desc[1]) return 1;
  check_descriptor(desc[0], QUELL_LADSPA_ID_MONO, "quell_mono", 1);
  check_descriptor(desc[1], QUELL_LADSPA_ID_STEREO, "quell_stereo", 2);

  /* The weights beside the .so are found even after the host changed its working folder (the
   * .so was opened by a relative path). */
  {
    char cwd[4096];
    LADSPA_Handle h;
    if (!getcwd(cwd, sizeof cwd) || chdir("/") != 0) test_lv2_host_die("chdir failed");
    h = desc[0]->instantiate(desc[0], 48000);
    if (chdir(cwd) != 0) test_lv2_host_die("chdir back failed");
    CHECK(h != NULL, "instantiate after chdir: weights beside the .so not found");
    if (h) desc[0]->cleanup(h);
  }

  for (v = 0; v < 2; ++v) {
    for (r = 0; r < sizeof rates / sizeof rates[0]; ++r) {
      Inst in;
      float dummy_in[64] = {0}, dummy_out[64];
      unsigned long c;
      if (r == 1) setenv("QUELL_MODEL", blob, 1); /* then through QUELL_MODEL */
      if (inst_open(&in, desc[v], (unsigned long)rates[r]) != 0) {
        CHECK(0, "%s: instantiate at %.0f Hz failed", desc[v]->Label, rates[r]);
        continue;
      }
      /* run before activate, audio unconnected, n = 0: latency still written */
      desc[v]->run(in.h, 0);
      CHECK(in.control[in.latency_port] == 2.0f * lroundf((float)(rates[r] * 0.005)),
            "%s %.0f Hz: latency %g after run(0) before activate", desc[v]->Label, rates[r],
            in.control[in.latency_port]);
      for (c = 0; c < in.channels; ++c) {
        desc[v]->connect_port(in.h, in.audio_in[c], dummy_in);
        desc[v]->connect_port(in.h, in.audio_out[c], dummy_out);
      }
      desc[v]->run(in.h, 64); /* audio before activate: tolerated */
      for (p = 0; p < sizeof plans / sizeof plans[0]; ++p) check_delay(&in, rates[r], plans[p]);
      if (desc[v]->deactivate) desc[v]->deactivate(in.h);
      desc[v]->cleanup(in.h);
    }
  }

  /* Refusals. */
  snprintf(bad, sizeof bad, "%s/tests/ladspa-missing-blob.qwb", build);
  remove(bad);
  setenv("QUELL_MODEL", bad, 1);
  expect_refusal(desc[0], 48000, "missing blob");
  expect_refusal(desc[1], 48000, "missing blob");
  {
    FILE *f = fopen(bad, "wb");
    const char junk[] = "QUELLWB\0 this is not a weights blob";
    if (!f || fwrite(junk, 1, sizeof junk, f) != sizeof junk || fclose(f) != 0) {
      test_lv2_host_die("cannot write %s", bad);
    }
    expect_refusal(desc[0], 48000, "corrupt blob");
    expect_refusal(desc[1], 48000, "corrupt blob");
    remove(bad);
  }
  setenv("QUELL_MODEL", blob, 1);
  for (v = 0; v < 2; ++v) {
    expect_refusal(desc[v], 8000, "unsupported rate");
    expect_refusal(desc[v], 384000, "unsupported rate");
  }
  dlclose(lib);
  printf("%s: %d failure(s)\n", test_lv2_host_failures ? "FAIL" : "PASS", test_lv2_host_failures);
  return test_lv2_host_failures ? 1 : 0;
}
