/* test_lv2_latency — hosts the fixture bundle through lilv and proves the latency contract:
 * with atten_limit = 0 (pass-through) the output is the input delayed by exactly the value the
 * plugin reports on its lv2:latency port, to the sample and within 1e-5 of full scale, for every
 * host block size (0, 1, 7, 64, 480, 1000, 4096, random), in place and out of place, mono and
 * stereo, at 44.1, 48 and 96 kHz. The latency port must be written on every run() call, the
 * very first one included (n = 0, before activate, audio unconnected). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plugin/quell_ports.h"
#include "test_lv2_host.h"

#define CHECK test_lv2_host_check

/* Block plans: a fixed size, or one of the random plans below. */
enum { PLAN_ZERO_AND_64 = -1, PLAN_RANDOM = -2, PLAN_RANDOM_WITH_ZEROS = -3 };
static const int plans[] = {PLAN_ZERO_AND_64, 1, 7, 64, 480, 1000, 4096, PLAN_RANDOM,
                            PLAN_RANDOM_WITH_ZEROS};

static uint32_t plan_next(int plan, uint32_t call, uint32_t *rng) {
  switch (plan) {
  case PLAN_ZERO_AND_64: return (call & 1) ? 64 : 0;
  case PLAN_RANDOM: return 1 + test_lv2_host_rand(rng) % 4096;
  case PLAN_RANDOM_WITH_ZEROS: {
    const uint32_t r = test_lv2_host_rand(rng);
    return (r & 3) == 0 ? 0 : 1 + (r >> 2) % 4096;
  }
  default: return (uint32_t)plan;
  }
}

static const char *plan_name(int plan, char *buf, size_t len) {
  switch (plan) {
  case PLAN_ZERO_AND_64: return "0/64 alternating";
  case PLAN_RANDOM: return "random 1..4096";
  case PLAN_RANDOM_WITH_ZEROS: return "random 0..4096";
  default: snprintf(buf, len, "%d", plan); return buf;
  }
}

/* One pass of the test signal through the instance with one block plan. Returns the measured
 * impulse delay of channel 0 (-1 if none found); *max_err gets the worst |out - delayed in|. */
static long run_pass(TestLv2Host *h, const float *const *signal, uint32_t len, uint32_t latency,
                     int plan, int in_place, float **work_in, float **work_out,
                     uint32_t search_end, double *max_err, int *latency_ok) {
  const uint32_t lat_port = test_lv2_host_port(h, "latency");
  uint32_t rng = 0x9e3779b9u ^ (uint32_t)plan;
  uint32_t pos = 0, call = 0, c, t;
  long delay = -1;
  float peak = 0.0f;

  for (c = 0; c < h->channels; ++c) {
    memcpy(work_in[c], signal[c], len * sizeof(float));
    memset(work_out[c], 0, len * sizeof(float));
  }
  lilv_instance_activate(h->instance);
  *latency_ok = 1;
  while (pos < len) {
    uint32_t n = plan_next(plan, call++, &rng);
    const float *in[2];
    float *out[2];
    if (n > len - pos) n = len - pos;
    for (c = 0; c < h->channels; ++c) {
      in[c] = work_in[c] + pos;
      out[c] = (in_place ? work_in[c] : work_out[c]) + pos;
    }
    test_lv2_host_connect_audio(h, in, out);
    h->control[lat_port] = -1.0f; /* must be rewritten by this very call */
    lilv_instance_run(h->instance, n);
    if (h->control[lat_port] != (float)latency) *latency_ok = 0;
    pos += n;
  }
  lilv_instance_deactivate(h->instance);

  *max_err = 0.0;
  for (c = 0; c < h->channels; ++c) {
    const float *out = in_place ? work_in[c] : work_out[c];
    for (t = 0; t < len; ++t) {
      const float want = t >= latency ? signal[c][t - latency] : 0.0f;
      const double e = fabs((double)out[t] - want);
      if (!(e <= *max_err)) *max_err = isfinite(e) ? e : INFINITY;
    }
  }
  {
    const float *out0 = in_place ? work_in[0] : work_out[0];
    for (t = 0; t < search_end && t < len; ++t) {
      if (fabsf(out0[t]) > peak) {
        peak = fabsf(out0[t]);
        delay = (long)t;
      }
    }
  }
  return delay;
}

int main(void) {
  static const double rates[] = {44100.0, 48000.0, 96000.0};
  static const char *const uris[] = {QUELL_URI_MONO, QUELL_URI_STEREO};
  LilvWorld *world = test_lv2_host_world();
  size_t r, u, p;
  int mode;

  for (r = 0; r < sizeof rates / sizeof rates[0]; ++r) {
    const double rate = rates[r];
    /* Two hops of round(5 ms): the engine's documented latency (quell.h). */
    const uint32_t expected = 2u * (uint32_t)lround(rate * 0.005);
    const uint32_t len = (uint32_t)(0.35 * rate);
    const uint32_t impulse_at = (uint32_t)(0.1 * rate); /* after the controls have settled */
    const uint32_t noise_at = impulse_at + (uint32_t)(0.05 * rate);
    float *signal[2], *work_in[2], *work_out[2];
    uint32_t c, t;

    for (c = 0; c < 2; ++c) {
      uint32_t rng = 12345u + 777u * c;
      signal[c] = calloc(len, sizeof(float));
      work_in[c] = calloc(len, sizeof(float));
      work_out[c] = calloc(len, sizeof(float));
      if (!signal[c] || !work_in[c] || !work_out[c]) test_lv2_host_die("out of memory");
      /* Channel 1 differs (impulse 13 samples later, other noise) so crossed channels show. */
      signal[c][impulse_at + 13 * c] = 0.9f;
      for (t = noise_at; t < len; ++t) signal[c][t] = test_lv2_host_noise(&rng, 0.5f);
    }

    for (u = 0; u < 2; ++u) {
      TestLv2Host h;
      float first_latency;
      if (test_lv2_host_open(&h, world, uris[u], rate, NULL) != 0) {
        CHECK(0, "<%s> failed to instantiate at %.0f Hz", uris[u], rate);
        continue;
      }
      /* Very first call: before activate, audio unconnected, n = 0. */
      h.control[test_lv2_host_port(&h, "latency")] = -1.0f;
      lilv_instance_run(h.instance, 0);
      first_latency = test_lv2_host_get(&h, "latency");
      CHECK(first_latency == (float)expected,
            "<%s> %.0f Hz: latency after first run(0) = %g, want %u", uris[u], rate,
            first_latency, expected);
      CHECK(expected <= (uint32_t)ceil(0.010 * rate) + 1, "latency %u > 10 ms at %.0f Hz",
            expected, rate);

      test_lv2_host_set(&h, "atten_limit", 0.0f);
      for (p = 0; p < sizeof plans / sizeof plans[0]; ++p) {
        for (mode = 0; mode < 2; ++mode) {
          char buf[32];
          double max_err;
          int latency_ok;
          const long delay =
              run_pass(&h, (const float *const *)signal, len, expected, plans[p], mode, work_in,
                       work_out, noise_at, &max_err, &latency_ok);
          const char *pn = plan_name(plans[p], buf, sizeof buf);
          printf("%-7s %6.0f Hz  blocks %-16s %-12s delay %5ld (reported %u)  max err %.2e\n",
                 u ? "stereo" : "mono", rate, pn, mode ? "in place" : "out of place",
                 delay - (long)impulse_at, expected, max_err);
          CHECK(latency_ok, "%s %.0f Hz blocks %s: latency port not written as %u on every call",
                uris[u], rate, pn, expected);
          CHECK(delay == (long)(impulse_at + expected),
                "%s %.0f Hz blocks %s %s: impulse delay %ld, reported latency %u", uris[u], rate,
                pn, mode ? "in place" : "out of place", delay - (long)impulse_at, expected);
          CHECK(max_err <= 1e-5, "%s %.0f Hz blocks %s %s: max error %.3e > 1e-5", uris[u],
                rate, pn, mode ? "in place" : "out of place", max_err);
        }
      }
      test_lv2_host_close(&h);
    }
    for (c = 0; c < 2; ++c) {
      free(signal[c]);
      free(work_in[c]);
      free(work_out[c]);
    }
  }
  lilv_world_free(world);
  printf("%s: %d failure(s)\n", test_lv2_host_failures ? "FAIL" : "PASS", test_lv2_host_failures);
  return test_lv2_host_failures ? 1 : 0;
}
