/* test_lv2_model_param — the LV2 `model` parameter through lilv, on the fixture bundle, mono and
 * stereo:
 *  - the first run() reports the shipped model on the notify port (empty path, "shipped model
 *    quell.qwb, CRC ...");
 *  - patch:Set of a .qwb loads it through the worker and the next run() reports it (path, name
 *    and the file's CRC) and processes with it; an empty path returns to the shipped model;
 *  - a corrupt, truncated, foreign, wrong-configuration (a 16 kHz band layout), missing and
 *    directory path is refused with exactly one log line each, the report goes back to the active
 *    model, and the audio is bit-identical to an instance that never saw the requests;
 *  - LV2 state: saved to disk with lilv (state:mapPath), restored into a new instance before its
 *    first run(): that instance reports the model at once and its output is bit-identical to the
 *    saved instance's; a state saved with the shipped model brings an adapted instance back;
 *  - without the host's worker, patch:Set changes nothing and breaks nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/state/state.h>
#include <lv2/worker/worker.h>

#include "../plugin/quell_ports.h"
#include "blob_fixture.h"
#include "test_lv2_host.h"

#define CHECK test_lv2_host_check
#define RATE 48000.0
#define N 4800 /* 100 ms per block */

static char tmp[256];

static void blob_path(char *out, size_t len, const char *name) {
  snprintf(out, len, "%s/%s", tmp, name);
}

/* Writes the fixture blobs and the bad files; returns the CRC of a.qwb and b.qwb. */
static void write_files(uint32_t *crc_a, uint32_t *crc_b) {
  QuellConfig cfg, c16;
  size_t size;
  char path[512];
  quell_config_default(&cfg);
  unsigned char *a = quell_fixture_blob(&cfg, 101, &size);
  blob_path(path, sizeof path, "a.qwb");
  if (!a || quell_fixture_write(path, a, size)) test_lv2_host_die("cannot write %s", path);
  memcpy(crc_a, a + size - 4, 4);
  unsigned char *b = quell_fixture_blob(&cfg, 202, &size);
  blob_path(path, sizeof path, "b.qwb");
  if (!b || quell_fixture_write(path, b, size)) test_lv2_host_die("cannot write %s", path);
  memcpy(crc_b, b + size - 4, 4);
  /* corrupt: one weight byte changed, CRC left as it was */
  b[size / 2] ^= 0x40;
  blob_path(path, sizeof path, "corrupt.qwb");
  quell_fixture_write(path, b, size);
  b[size / 2] ^= 0x40;
  blob_path(path, sizeof path, "truncated.qwb");
  quell_fixture_write(path, b, size / 3);
  blob_path(path, sizeof path, "foreign.qwb");
  quell_fixture_write(path, (const unsigned char *)"RIFF\x24\0\0\0WAVEfmt not a model at all", 32);
  c16 = cfg;
  c16.band_fmax_hz = 7000.0f; /* a model for 16 kHz audio: other bands, so other features */
  unsigned char *w = quell_fixture_blob(&c16, 303, &size);
  blob_path(path, sizeof path, "rate16k.qwb");
  quell_fixture_write(path, w, size);
  blob_path(path, sizeof path, "dir.qwb");
  mkdir(path, 0700);
  free(a);
  free(b);
  free(w);
}

typedef struct {
  TestLv2Host h;
  TestLv2Worker w;
  LV2_Feature f_map, f_unmap, f_sched;
  const LV2_Feature *features[4];
  float *in[2], *out[2];
} Inst;

static void inst_open(Inst *x, LilvWorld *world, const char *uri, int with_worker) {
  test_lv2_worker_init(&x->w);
  x->f_map = (LV2_Feature){LV2_URID__map, test_lv2_host_map()};
  x->f_unmap = (LV2_Feature){LV2_URID__unmap, test_lv2_host_unmap()};
  x->f_sched = (LV2_Feature){LV2_WORKER__schedule, &x->w.schedule};
  x->features[0] = &x->f_map;
  x->features[1] = &x->f_unmap;
  x->features[2] = with_worker ? &x->f_sched : NULL;
  x->features[3] = NULL;
  if (test_lv2_host_open(&x->h, world, uri, RATE, x->features) != 0)
    test_lv2_host_die("<%s> failed to instantiate", uri);
  if (with_worker) test_lv2_worker_bind(&x->w, x->h.instance);
  test_lv2_host_connect_atoms(&x->h);
  for (uint32_t c = 0; c < 2; c++) {
    x->in[c] = calloc(N, sizeof(float));
    x->out[c] = calloc(N, sizeof(float));
  }
  test_lv2_host_connect_audio(&x->h, (const float *const *)x->in, x->out);
  lilv_instance_activate(x->h.instance);
}

static void inst_close(Inst *x) {
  test_lv2_host_close(&x->h);
  for (uint32_t c = 0; c < 2; c++) {
    free(x->in[c]);
    free(x->out[c]);
  }
}

/* One 100 ms block of deterministic noise (block number k), then the worker. */
static void inst_block(Inst *x, uint32_t k) {
  uint32_t rng = 0x9e3779b9u ^ (k * 2654435761u);
  for (uint32_t c = 0; c < x->h.channels; c++)
    for (uint32_t i = 0; i < N; i++) x->in[c][i] = test_lv2_host_noise(&rng, 0.3f);
  test_lv2_host_run(&x->h, N);
  if (x->w.iface) test_lv2_worker_run(&x->w);
}

static double energy(const Inst *x) {
  double e = 0;
  for (uint32_t c = 0; c < x->h.channels; c++)
    for (uint32_t i = 0; i < N; i++) e += (double)x->out[c][i] * x->out[c][i];
  return e;
}

static int same_output(const Inst *x, const Inst *y) {
  for (uint32_t c = 0; c < x->h.channels; c++)
    if (memcmp(x->out[c], y->out[c], N * sizeof(float))) return 0;
  return 1;
}

static int has_crc(const char *info, uint32_t crc) {
  char hex[16];
  snprintf(hex, sizeof hex, "CRC %08x", (unsigned)crc);
  return strstr(info, hex) != NULL;
}

/* lilv asks for port values while saving: the control inputs, as floats. */
static const void *port_value(const char *symbol, void *user, uint32_t *size, uint32_t *type) {
  TestLv2Host *h = user;
  LilvNode *sym = lilv_new_string(h->world, symbol);
  const LilvPort *port = lilv_plugin_get_port_by_symbol(h->plugin, sym);
  lilv_node_free(sym);
  const uint32_t i = port ? lilv_port_get_index(h->plugin, port) : UINT32_MAX;
  if (i >= h->n_ports || i == h->atom_in || i == h->atom_out) {
    *size = 0;
    return NULL;
  }
  *size = sizeof(float);
  *type = test_lv2_host_map()->map(NULL, LV2_ATOM__Float);
  return &h->control[i];
}

/* Saves x's state to <tmp>/<name>/ and reads it back from the file. */
static LilvState *save_and_load(LilvWorld *world, Inst *x, const char *name) {
  char dir[512], file[600];
  snprintf(dir, sizeof dir, "%s/%s", tmp, name);
  /* As jalv saves: copy, link and save folder the same. (lilv 0.24 deletes an external file the
   * state names when a host saves with no link folder: hosts pass one.) */
  LilvState *st = lilv_state_new_from_instance(x->h.plugin, x->h.instance, test_lv2_host_map(),
                                               NULL, dir, dir, dir, port_value, &x->h, 0,
                                               x->features);
  if (!st) test_lv2_host_die("lilv_state_new_from_instance failed");
  if (lilv_state_save(world, test_lv2_host_map(), test_lv2_host_unmap(), st, NULL, dir,
                      "state.ttl"))
    test_lv2_host_die("lilv_state_save failed");
  lilv_state_free(st);
  snprintf(file, sizeof file, "%s/state.ttl", dir);
  st = lilv_state_new_from_file(world, test_lv2_host_map(), NULL, file);
  if (!st) test_lv2_host_die("cannot read back %s", file);
  return st;
}

static void test_variant(LilvWorld *world, const char *uri, uint32_t crc_a, uint32_t crc_b) {
  Inst x, y, z;
  char a[512], b[512], last[1024];
  uint32_t k = 0;
  blob_path(a, sizeof a, "a.qwb");
  blob_path(b, sizeof b, "b.qwb");
  printf("<%s>\n", uri);

  inst_open(&x, world, uri, 1);
  inst_block(&x, k);
  CHECK(x.h.notifications == 1 && x.h.model_path[0] == '\0' &&
            strncmp(x.h.model_info, "shipped model quell.qwb, CRC ", 29) == 0,
        "first run reports '%s' / '%s' (%d reports), not the shipped model", x.h.model_path,
        x.h.model_info, x.h.notifications);
  const double e_shipped = energy(&x);

  /* Load a.qwb through the parameter: reported and used from the next run() on. */
  test_lv2_host_set_model(&x.h, a);
  inst_block(&x, ++k);
  inst_block(&x, ++k);
  printf("  after patch:Set a.qwb: '%s' / '%s'\n", x.h.model_path, x.h.model_info);
  CHECK(!strcmp(x.h.model_path, a) && has_crc(x.h.model_info, crc_a) &&
            strstr(x.h.model_info, "a.qwb") != NULL,
        "a.qwb not reported active: '%s' / '%s'", x.h.model_path, x.h.model_info);

  /* y: the same model from the start of the same audio; x and y then see the same blocks. */
  inst_open(&y, world, uri, 1);
  test_lv2_host_set_model(&y.h, a);
  inst_block(&y, 0);
  inst_block(&y, 1);
  lilv_instance_activate(x.h.instance);
  lilv_instance_activate(y.h.instance);
  inst_block(&x, 10);
  inst_block(&y, 10);
  CHECK(same_output(&x, &y), "two instances on a.qwb differ");
  CHECK(fabs(energy(&x) - e_shipped) > 1e-6 * e_shipped, "a.qwb processes like the shipped model");

  /* Bad files, sent to x only: one log line each, a.qwb stays, audio identical to y's. */
  static const char *const bad[] = {"corrupt.qwb", "truncated.qwb", "foreign.qwb", "rate16k.qwb",
                                    "missing.qwb", "dir.qwb"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char path[512];
    blob_path(path, sizeof path, bad[i]);
    test_lv2_host_set_model(&x.h, path);
    test_lv2_host_capture_begin();
    inst_block(&x, 11 + (uint32_t)i);
    const int lines = test_lv2_host_capture_end(last, sizeof last);
    inst_block(&y, 11 + (uint32_t)i);
    printf("  %-14s %s", bad[i], last);
    CHECK(lines == 1 && strstr(last, "model not loaded") && strstr(last, bad[i]),
          "%s: %d log lines, last '%s'", bad[i], lines, last);
    CHECK(same_output(&x, &y), "%s disturbed the audio", bad[i]);
    inst_block(&x, 20 + (uint32_t)i);
    inst_block(&y, 20 + (uint32_t)i);
    CHECK(same_output(&x, &y), "%s disturbed the audio (next block)", bad[i]);
    CHECK(!strcmp(x.h.model_path, a) && has_crc(x.h.model_info, crc_a),
          "%s: report is now '%s' / '%s'", bad[i], x.h.model_path, x.h.model_info);
  }

  /* State: x saved with a.qwb; z restored before its first run(). */
  LilvState *st = save_and_load(world, &x, "state-a");
  inst_open(&z, world, uri, 1);
  lilv_state_restore(st, z.h.instance, NULL, NULL, 0, z.features);
  lilv_state_free(st);
  lilv_instance_activate(x.h.instance);
  lilv_instance_activate(z.h.instance);
  inst_block(&x, 30);
  inst_block(&z, 30);
  /* lilv saved a link to a.qwb inside the state folder: the path is that link's. */
  CHECK(strstr(z.h.model_path, "/state-a/") && has_crc(z.h.model_info, crc_a),
        "restored instance reports '%s' / '%s' at its first run", z.h.model_path, z.h.model_info);
  CHECK(same_output(&x, &z), "restored instance's output differs from the saved one's");
  for (uint32_t i = 31; i < 40; i++) {
    inst_block(&x, i);
    inst_block(&z, i);
  }
  CHECK(same_output(&x, &z), "restored instance's output differs after 1 s");
  printf("  state save -> new instance -> restore: '%s', output %s\n", z.h.model_info,
         same_output(&x, &z) ? "bit-identical" : "DIFFERENT");

  /* Back to the shipped model with an empty path, and its state brings z back too. */
  test_lv2_host_set_model(&x.h, b);
  inst_block(&x, 41);
  inst_block(&x, 42);
  CHECK(has_crc(x.h.model_info, crc_b), "b.qwb not active: '%s'", x.h.model_info);
  test_lv2_host_set_model(&x.h, "");
  inst_block(&x, 43);
  inst_block(&x, 44);
  CHECK(x.h.model_path[0] == '\0' && !strncmp(x.h.model_info, "shipped model", 13),
        "empty path: report '%s' / '%s'", x.h.model_path, x.h.model_info);
  st = save_and_load(world, &x, "state-shipped");
  lilv_state_restore(st, z.h.instance, NULL, NULL, 0, z.features);
  lilv_state_free(st);
  lilv_instance_activate(x.h.instance);
  lilv_instance_activate(z.h.instance);
  inst_block(&x, 50);
  inst_block(&z, 50);
  CHECK(z.h.model_path[0] == '\0' && same_output(&x, &z),
        "state with the shipped model did not bring z back: '%s'", z.h.model_info);
  inst_close(&x);
  inst_close(&y);
  inst_close(&z);

  /* No worker: the request is ignored, the report stays. */
  inst_open(&x, world, uri, 0);
  inst_block(&x, 0);
  test_lv2_host_set_model(&x.h, a);
  inst_block(&x, 1);
  inst_block(&x, 2);
  CHECK(x.h.model_path[0] == '\0' && !strncmp(x.h.model_info, "shipped model", 13),
        "without a worker: '%s'", x.h.model_info);
  inst_close(&x);
}

int main(void) {
  uint32_t crc_a, crc_b;
  snprintf(tmp, sizeof tmp, "/tmp/quell-model-param-XXXXXX");
  if (!mkdtemp(tmp)) test_lv2_host_die("mkdtemp failed");
  write_files(&crc_a, &crc_b);
  unsetenv("QUELL_MODEL");
  LilvWorld *world = test_lv2_host_world();
  test_variant(world, QUELL_URI_MONO, crc_a, crc_b);
  test_variant(world, QUELL_URI_STEREO, crc_a, crc_b);
  lilv_world_free(world);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (getenv("KEEP")) printf("kept %s\n", tmp); else if (system(cmd) != 0) printf("could not remove %s\n", tmp);
  printf("%s: %d failure(s)\n", test_lv2_host_failures ? "FAIL" : "PASS", test_lv2_host_failures);
  return test_lv2_host_failures ? 1 : 0;
}
