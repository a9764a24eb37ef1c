/* test_lv2_controls — the controls and meters through lilv, on the fixture bundle:
 *  - bypass (`enabled` = 0) fades to the dry signal delayed by exactly the reported latency,
 *    click-free: no sample-to-sample step larger than the dry signal's own (with 50% margin),
 *    at host block sizes 1, 64 and 4096 (a per-block switch would step at large blocks);
 *  - with atten_limit = 0 toggling bypass changes nothing (dry and wet paths are aligned);
 *  - out-of-range and non-finite control values, and NULL-connected ports, break nothing;
 *  - the description (lv2lint-style): C-identifier symbols, defaults inside ranges, the
 *    lv2:enabled and lv2:latency designations where lilv looks for them;
 *  - voice_prob stays in [0, 1]; reduction is >= 0, about 0 dB in pass-through and large when the
 *    voice gate is forced shut on noise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/core/lv2.h>

#include "../plugin/quell_ports.h"
#include "test_lv2_host.h"

#define CHECK test_lv2_host_check
#define RATE 48000.0
#define PI 3.14159265358979323846

/* lv2lint-style checks of the description through lilv: symbols are C identifiers, control
 * inputs have min < max and a default inside, the lv2:enabled port is a 0..1 toggle defaulting to
 * on, the lv2:latency port is an integer output that lilv reports as the latency port. */
static void test_description(LilvWorld *world, const char *uri) {
  TestLv2Host h;
  LilvNode *control = lilv_new_uri(world, LILV_URI_CONTROL_PORT);
  LilvNode *input = lilv_new_uri(world, LILV_URI_INPUT_PORT);
  LilvNode *enabled = lilv_new_uri(world, LV2_CORE__enabled);
  LilvNode *latency = lilv_new_uri(world, LV2_CORE__latency);
  LilvNode *toggled = lilv_new_uri(world, LV2_CORE__toggled);
  LilvNode *integer = lilv_new_uri(world, LV2_CORE__integer);
  LilvNode *reports = lilv_new_uri(world, LV2_CORE__reportsLatency);
  float mins[TEST_LV2_HOST_MAX_PORTS], maxs[TEST_LV2_HOST_MAX_PORTS], defs[TEST_LV2_HOST_MAX_PORTS];
  const LilvPort *p;
  uint32_t i;

  if (test_lv2_host_open(&h, world, uri, RATE, NULL) != 0) {
    CHECK(0, "<%s> failed to instantiate", uri);
    return;
  }
  lilv_plugin_get_port_ranges_float(h.plugin, mins, maxs, defs);
  for (i = 0; i < h.n_ports; ++i) {
    const LilvPort *port = lilv_plugin_get_port_by_index(h.plugin, i);
    const char *sym = lilv_node_as_string(lilv_port_get_symbol(h.plugin, port));
    const char *c;
    int ok = sym && (sym[0] == '_' || (sym[0] >= 'a' && sym[0] <= 'z') ||
                     (sym[0] >= 'A' && sym[0] <= 'Z'));
    for (c = sym; ok && *c; ++c) {
      ok = *c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
           (*c >= '0' && *c <= '9');
    }
    CHECK(ok, "%s: port %u symbol '%s' is not a C identifier", uri, i, sym ? sym : "(none)");
    if (lilv_port_is_a(h.plugin, port, control)) {
      CHECK(mins[i] < maxs[i], "%s: port '%s' range [%g, %g]", uri, sym, mins[i], maxs[i]);
      if (lilv_port_is_a(h.plugin, port, input)) {
        CHECK(defs[i] >= mins[i] && defs[i] <= maxs[i], "%s: port '%s' default %g outside [%g, %g]",
              uri, sym, defs[i], mins[i], maxs[i]);
      }
    }
  }
  p = lilv_plugin_get_port_by_designation(h.plugin, input, enabled);
  CHECK(p != NULL, "%s: no input port designated lv2:enabled", uri);
  if (p) {
    i = lilv_port_get_index(h.plugin, p);
    CHECK(lilv_port_has_property(h.plugin, p, toggled) && mins[i] == 0.0f && maxs[i] == 1.0f &&
              defs[i] == 1.0f,
          "%s: lv2:enabled port must be a 0..1 toggle defaulting to 1", uri);
  }
  p = lilv_plugin_get_port_by_designation(h.plugin, NULL, latency);
  CHECK(p != NULL, "%s: no port designated lv2:latency", uri);
  if (p) {
    i = lilv_port_get_index(h.plugin, p);
    CHECK(!lilv_port_is_a(h.plugin, p, input) && lilv_port_has_property(h.plugin, p, integer) &&
              lilv_port_has_property(h.plugin, p, reports),
          "%s: latency port must be an integer output with lv2:reportsLatency", uri);
    CHECK(lilv_plugin_has_latency(h.plugin) && lilv_plugin_get_latency_port_index(h.plugin) == i &&
              i == test_lv2_host_port(&h, "latency"),
          "%s: lilv does not see port 'latency' as the latency port", uri);
  }
  lilv_node_free(control);
  lilv_node_free(input);
  lilv_node_free(enabled);
  lilv_node_free(latency);
  lilv_node_free(toggled);
  lilv_node_free(integer);
  lilv_node_free(reports);
  test_lv2_host_close(&h);
}

/* Meter bounds seen over all runs (checked at the end). */
static float seen_vp_min = INFINITY, seen_vp_max = -INFINITY, seen_red_min = INFINITY;

static void track_meters(const TestLv2Host *h) {
  const float vp = test_lv2_host_get(h, "voice_prob");
  const float red = test_lv2_host_get(h, "reduction");
  if (!(vp >= seen_vp_min)) seen_vp_min = vp; /* NaN lands here too and fails later */
  if (!(vp <= seen_vp_max)) seen_vp_max = vp;
  if (!(red >= seen_red_min)) seen_red_min = red;
}

/* Runs len frames from in[c] + pos to out[c] + pos in blocks of `block`. */
static void run_span(TestLv2Host *h, float **in, float **out, uint32_t pos, uint32_t len,
                     uint32_t block) {
  uint32_t c, end = pos + len;
  while (pos < end) {
    const uint32_t n = end - pos < block ? end - pos : block;
    const float *ip[2];
    float *op[2];
    for (c = 0; c < h->channels; ++c) {
      ip[c] = in[c] + pos;
      op[c] = out[c] + pos;
    }
    test_lv2_host_connect_audio(h, ip, op);
    lilv_instance_run(h->instance, n);
    track_meters(h);
    pos += n;
  }
}

static double max_step(const float *x, uint32_t from, uint32_t to) {
  double m = 0.0;
  uint32_t t;
  for (t = from + 1; t < to; ++t) {
    const double d = fabs((double)x[t] - x[t - 1]);
    if (!(d <= m)) m = isfinite(d) ? d : INFINITY;
  }
  return m;
}

/* Worst |out[t] - in[t - latency]| over [from, to). */
static double max_delayed_error(const float *in, const float *out, uint32_t latency,
                                uint32_t from, uint32_t to) {
  double m = 0.0;
  uint32_t t;
  for (t = from; t < to; ++t) {
    const double want = t >= latency ? in[t - latency] : 0.0;
    const double e = fabs(out[t] - want);
    if (!(e <= m)) m = isfinite(e) ? e : INFINITY;
  }
  return m;
}

static double rms(const float *x, uint32_t from, uint32_t to) {
  double s = 0.0;
  uint32_t t;
  for (t = from; t < to; ++t) s += (double)x[t] * x[t];
  return sqrt(s / (to > from ? to - from : 1));
}

/* Bypass with the gate forced shut, so wet (~ -80 dB) and dry differ as much as they can. */
static void test_bypass_click_free(LilvWorld *world, const char *uri, uint32_t block) {
  TestLv2Host h;
  const uint32_t len = (uint32_t)(1.2 * RATE);
  const uint32_t t_off = (uint32_t)(0.5 * RATE) + 17; /* bypass on, mid-block */
  const uint32_t t_on = (uint32_t)(0.85 * RATE) + 5;  /* bypass off again */
  float *in[2], *out[2];
  uint32_t c, t, latency;
  double dry_step, out_step, wet_rms, dry_rms, bypass_err;

  if (test_lv2_host_open(&h, world, uri, RATE, NULL) != 0) {
    CHECK(0, "<%s> failed to instantiate", uri);
    return;
  }
  for (c = 0; c < h.channels; ++c) {
    in[c] = malloc(len * sizeof(float));
    out[c] = calloc(len, sizeof(float));
    /* 100 Hz sine, opposite phase on the right: its own steps are small, so any switch shows. */
    for (t = 0; t < len; ++t) in[c][t] = (c ? -0.5f : 0.5f) * (float)sin(2.0 * PI * 100.0 * t / RATE);
  }
  test_lv2_host_set(&h, "atten_limit", 100.0f);
  test_lv2_host_set(&h, "gate", 1.0f);
  test_lv2_host_set(&h, "gate_threshold", 1.0f); /* voice probability < 1: always closing */
  test_lv2_host_set(&h, "gate_hold", 0.0f);
  test_lv2_host_set(&h, "gate_floor", -80.0f);
  lilv_instance_activate(h.instance);

  run_span(&h, in, out, 0, t_off, block);
  latency = (uint32_t)test_lv2_host_get(&h, "latency");
  test_lv2_host_set(&h, "enabled", 0.0f);
  run_span(&h, in, out, t_off, t_on - t_off, block);
  test_lv2_host_set(&h, "enabled", 1.0f);
  run_span(&h, in, out, t_on, len - t_on, block);

  for (c = 0; c < h.channels; ++c) {
    /* The step check starts after the gate has closed (its own glide is not under test). */
    const uint32_t from = (uint32_t)(0.3 * RATE);
    dry_step = max_step(in[c], 0, len);
    out_step = max_step(out[c], from, len);
    wet_rms = rms(out[c], from, t_off);
    dry_rms = rms(in[c], from, t_off);
    /* Bypass settles well within 100 ms; from then on the output is the delayed input. */
    bypass_err = max_delayed_error(in[c], out[c], latency, t_off + (uint32_t)(0.1 * RATE), t_on);
    printf("%s block %4u ch %u: wet/dry rms %.2e/%.2e  max step %.5f (dry %.5f)  bypass err %.2e\n",
           uri, block, c, wet_rms, dry_rms, out_step, dry_step, bypass_err);
    CHECK(wet_rms < 0.1 * dry_rms,
          "%s: gate forced shut should attenuate (wet rms %.3g, dry %.3g): test is meaningless",
          uri, wet_rms, dry_rms);
    CHECK(out_step <= 1.5 * dry_step,
          "%s block %u ch %u: bypass step %.5f > 1.5 x the signal's own %.5f (click)", uri, block,
          c, out_step, dry_step);
    CHECK(bypass_err <= 1e-5,
          "%s block %u ch %u: bypassed output is not the input delayed by %u (err %.3e)", uri,
          block, c, latency, bypass_err);
    free(in[c]);
    free(out[c]);
  }
  test_lv2_host_close(&h);
}

/* atten_limit = 0: wet == delayed dry, so toggling bypass at random block boundaries must not
 * change a single sample beyond rounding. */
static void test_bypass_aligned(LilvWorld *world, const char *uri) {
  TestLv2Host h;
  const uint32_t len = (uint32_t)(1.0 * RATE);
  float *in[2], *out[2];
  uint32_t c, t, pos = 0, rng = 99u, latency;
  double err = 0.0;

  if (test_lv2_host_open(&h, world, uri, RATE, NULL) != 0) {
    CHECK(0, "<%s> failed to instantiate", uri);
    return;
  }
  for (c = 0; c < h.channels; ++c) {
    in[c] = malloc(len * sizeof(float));
    out[c] = calloc(len, sizeof(float));
    for (t = 0; t < len; ++t) in[c][t] = test_lv2_host_noise(&rng, 0.5f);
  }
  test_lv2_host_set(&h, "atten_limit", 0.0f);
  lilv_instance_activate(h.instance);
  while (pos < len) {
    const uint32_t n = 1 + test_lv2_host_rand(&rng) % 1024;
    const uint32_t m = n < len - pos ? n : len - pos;
    if (test_lv2_host_rand(&rng) % 4 == 0) {
      test_lv2_host_set(&h, "enabled", test_lv2_host_get(&h, "enabled") > 0.0f ? 0.0f : 1.0f);
    }
    run_span(&h, in, out, pos, m, m);
    pos += m;
  }
  latency = (uint32_t)test_lv2_host_get(&h, "latency");
  for (c = 0; c < h.channels; ++c) {
    const double e = max_delayed_error(in[c], out[c], latency, 0, len);
    if (e > err) err = e;
    free(in[c]);
    free(out[c]);
  }
  printf("%s: pass-through with bypass toggling: max err %.2e\n", uri, err);
  CHECK(err <= 1e-5, "%s: toggling bypass in pass-through changed the output (err %.3e): dry path "
                     "not aligned with the latency",
        uri, err);
  test_lv2_host_close(&h);
}

static int all_finite_bounded(float *const *out, uint32_t channels, uint32_t len, float bound) {
  uint32_t c, t;
  for (c = 0; c < channels; ++c) {
    for (t = 0; t < len; ++t) {
      if (!isfinite(out[c][t]) || fabsf(out[c][t]) > bound) return 0;
    }
  }
  return 1;
}

/* Every control input at absurd values; NULL-connected ports; then back to normal. */
static void test_abuse(LilvWorld *world, const char *uri) {
  static const char *const symbols[] = {"enabled", "atten_limit", "gate", "gate_threshold",
                                        "gate_hold", "gate_floor"};
  static const float values[] = {-1e9f, 1e9f, NAN, INFINITY, -INFINITY, -0.0f, 1e-42f};
  TestLv2Host h;
  const uint32_t len = (uint32_t)(0.1 * RATE);
  float *in[2], *out[2];
  uint32_t c, t, rng = 7u, latency;
  size_t s, v;

  if (test_lv2_host_open(&h, world, uri, RATE, NULL) != 0) {
    CHECK(0, "<%s> failed to instantiate", uri);
    return;
  }
  for (c = 0; c < h.channels; ++c) {
    in[c] = malloc(len * sizeof(float));
    out[c] = calloc(len, sizeof(float));
    for (t = 0; t < len; ++t) in[c][t] = test_lv2_host_noise(&rng, 0.5f);
  }
  lilv_instance_activate(h.instance);
  run_span(&h, in, out, 0, len, 256);
  latency = (uint32_t)test_lv2_host_get(&h, "latency");

  for (s = 0; s < sizeof symbols / sizeof symbols[0]; ++s) {
    for (v = 0; v < sizeof values / sizeof values[0]; ++v) {
      test_lv2_host_defaults(&h);
      test_lv2_host_set(&h, symbols[s], values[v]);
      run_span(&h, in, out, 0, len, 100 + 37 * (uint32_t)v);
      CHECK(all_finite_bounded(out, h.channels, len, 2.0f),
            "%s: %s = %g: output not finite or beyond 2.0", uri, symbols[s], values[v]);
      CHECK(test_lv2_host_get(&h, "latency") == (float)latency, "%s: %s = %g: latency changed",
            uri, symbols[s], values[v]);
    }
  }

  /* All control ports unconnected: defaults are used, audio still flows. */
  {
    uint32_t i;
    const float *ip[2];
    float *op[2];
    for (i = 0; i < h.n_ports; ++i) {
      int audio = 0;
      for (c = 0; c < h.channels; ++c) audio |= i == h.audio_in[c] || i == h.audio_out[c];
      if (!audio) lilv_instance_connect_port(h.instance, i, NULL);
    }
    for (c = 0; c < h.channels; ++c) {
      ip[c] = in[c];
      op[c] = out[c];
      memset(out[c], 0, len * sizeof(float));
    }
    test_lv2_host_connect_audio(&h, ip, op);
    lilv_instance_run(h.instance, len);
    CHECK(all_finite_bounded(out, h.channels, len, 2.0f), "%s: NULL controls: bad output", uri);
    CHECK(rms(out[0], latency + 2 * 480, len) > 1e-3,
          "%s: NULL controls: no audio came out (defaults should process)", uri);
    for (i = 0; i < h.n_ports; ++i) lilv_instance_connect_port(h.instance, i, &h.control[i]);
  }

  /* Audio unconnected (one side or both): no processing, no crash, latency still written. */
  {
    const float *ip[2] = {in[0], in[h.channels - 1]};
    float *none[2] = {NULL, NULL};
    test_lv2_host_connect_audio(&h, NULL, NULL);
    h.control[test_lv2_host_port(&h, "latency")] = -1.0f;
    lilv_instance_run(h.instance, 64);
    CHECK(test_lv2_host_get(&h, "latency") == (float)latency,
          "%s: latency not written with audio unconnected", uri);
    test_lv2_host_connect_audio(&h, ip, none);
    lilv_instance_run(h.instance, 64);
  }

  /* Back to defaults: still processing normally. */
  test_lv2_host_defaults(&h);
  run_span(&h, in, out, 0, len, 480);
  CHECK(all_finite_bounded(out, h.channels, len, 2.0f), "%s: after abuse: bad output", uri);
  for (c = 0; c < h.channels; ++c) {
    free(in[c]);
    free(out[c]);
  }
  test_lv2_host_close(&h);
}

/* reduction: ~0 dB in pass-through, large with the gate shut; >= 0 always. */
static void test_reduction(LilvWorld *world, const char *uri) {
  TestLv2Host h;
  const uint32_t len = (uint32_t)(0.5 * RATE);
  float *in[2], *out[2];
  uint32_t c, t, rng = 4242u;
  float red_pass, red_limit, red_gate;

  if (test_lv2_host_open(&h, world, uri, RATE, NULL) != 0) {
    CHECK(0, "<%s> failed to instantiate", uri);
    return;
  }
  for (c = 0; c < h.channels; ++c) {
    in[c] = malloc(len * sizeof(float));
    out[c] = calloc(len, sizeof(float));
    for (t = 0; t < len; ++t) in[c][t] = test_lv2_host_noise(&rng, 0.3f);
  }
  test_lv2_host_set(&h, "atten_limit", 0.0f);
  lilv_instance_activate(h.instance);
  run_span(&h, in, out, 0, len, 512);
  red_pass = test_lv2_host_get(&h, "reduction");

  test_lv2_host_set(&h, "atten_limit", 100.0f);
  run_span(&h, in, out, 0, len, 512);
  red_limit = test_lv2_host_get(&h, "reduction");

  test_lv2_host_set(&h, "gate", 1.0f);
  test_lv2_host_set(&h, "gate_threshold", 1.0f);
  test_lv2_host_set(&h, "gate_hold", 0.0f);
  test_lv2_host_set(&h, "gate_floor", -60.0f);
  run_span(&h, in, out, 0, len, 512);
  red_gate = test_lv2_host_get(&h, "reduction");

  printf("%s: reduction on noise: pass-through %.2f dB, limit 100 %.2f dB, gate shut %.2f dB\n",
         uri, red_pass, red_limit, red_gate);
  CHECK(fabsf(red_pass) <= 0.05f, "%s: reduction %.3f dB in pass-through, want ~0", uri, red_pass);
  CHECK(red_limit >= 0.0f, "%s: reduction %.3f dB < 0", uri, red_limit);
  CHECK(red_gate >= 40.0f, "%s: reduction %.2f dB with the gate shut at -60 dB, want >= 40", uri,
        red_gate);
  for (c = 0; c < h.channels; ++c) {
    free(in[c]);
    free(out[c]);
  }
  test_lv2_host_close(&h);
}

int main(void) {
  static const char *const uris[] = {QUELL_URI_MONO, QUELL_URI_STEREO};
  static const uint32_t blocks[] = {1, 64, 4096};
  LilvWorld *world = test_lv2_host_world();
  size_t u, b;

  for (u = 0; u < 2; ++u) {
    test_description(world, uris[u]);
    for (b = 0; b < sizeof blocks / sizeof blocks[0]; ++b) {
      test_bypass_click_free(world, uris[u], blocks[b]);
    }
    test_bypass_aligned(world, uris[u]);
    test_abuse(world, uris[u]);
    test_reduction(world, uris[u]);
  }
  printf("voice_prob seen in [%g, %g]; reduction min %g dB\n", seen_vp_min, seen_vp_max,
         seen_red_min);
  CHECK(seen_vp_min >= 0.0f && seen_vp_max <= 1.0f, "voice_prob left [0, 1]: [%g, %g]",
        seen_vp_min, seen_vp_max);
  CHECK(seen_red_min >= 0.0f, "reduction went below 0 dB: %g", seen_red_min);
  lilv_world_free(world);
  printf("%s: %d failure(s)\n", test_lv2_host_failures ? "FAIL" : "PASS", test_lv2_host_failures);
  return test_lv2_host_failures ? 1 : 0;
}
