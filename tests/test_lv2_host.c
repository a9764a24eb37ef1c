/* test_lv2_host.c — the small lilv host the plugin-level tests share (see test_lv2_host.h). */
#include "test_lv2_host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/patch/patch.h>

#include "../plugin/quell_ports.h"

#ifndef QUELL_TEST_BUILD
#define QUELL_TEST_BUILD "build"
#endif

int test_lv2_host_failures = 0;

int test_lv2_host_check(int cond, const char *fmt, ...) {
  if (!cond) {
    va_list args;
    va_start(args, fmt);
    fputs("FAIL: ", stdout);
    vprintf(fmt, args);
    fputc('\n', stdout);
    fflush(stdout);
    va_end(args);
    ++test_lv2_host_failures;
  }
  return cond;
}

void test_lv2_host_die(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  fputs("ERROR: ", stdout);
  vprintf(fmt, args);
  fputc('\n', stdout);
  va_end(args);
  exit(1);
}

const char *test_lv2_host_build_dir(void) {
  const char *b = getenv("BUILD");
  return b && b[0] ? b : QUELL_TEST_BUILD;
}

LilvWorld *test_lv2_host_world(void) {
  static char path[4096];
  const char *env = getenv("QUELL_TEST_LV2_PATH");
  struct stat st;
  LilvWorld *world;
  char manifest[4200];

  char rel[4096];

  if (env && env[0]) {
    snprintf(rel, sizeof rel, "%s", env);
  } else {
    snprintf(rel, sizeof rel, "%s/test-lv2", test_lv2_host_build_dir());
  }
  snprintf(manifest, sizeof manifest, "%s/quell.lv2/manifest.ttl", rel);
  /* lilv maps LV2_PATH entries to file URIs, which must be absolute. */
  if (stat(manifest, &st) != 0 || !realpath(rel, path)) {
    test_lv2_host_die("fixture bundle %s missing: run `make fixture-bundle`", manifest);
  }
  /* Only the fixture bundle: never an installed Quell, never trained weights. */
  setenv("LV2_PATH", path, 1);
  world = lilv_world_new();
  lilv_world_load_all(world);
  return world;
}

int test_lv2_host_open(TestLv2Host *host, LilvWorld *world, const char *uri, double rate,
                       const LV2_Feature *const *features) {
  LilvNode *uri_node = lilv_new_uri(world, uri);
  LilvNode *audio = lilv_new_uri(world, LILV_URI_AUDIO_PORT);
  LilvNode *control = lilv_new_uri(world, LILV_URI_CONTROL_PORT);
  LilvNode *input = lilv_new_uri(world, LILV_URI_INPUT_PORT);
  LilvNode *atom_port = lilv_new_uri(world, LV2_ATOM__AtomPort);
  const LilvPlugins *plugins = lilv_world_get_all_plugins(world);
  float mins[TEST_LV2_HOST_MAX_PORTS], maxs[TEST_LV2_HOST_MAX_PORTS];
  uint32_t i, n_in = 0, n_out = 0;

  memset(host, 0, sizeof *host);
  host->world = world;
  host->plugin = lilv_plugins_get_by_uri(plugins, uri_node);
  lilv_node_free(uri_node);
  if (!host->plugin) test_lv2_host_die("plugin <%s> not found in LV2_PATH", uri);
  host->n_ports = lilv_plugin_get_num_ports(host->plugin);
  host->atom_in = host->atom_out = UINT32_MAX;
  if (host->n_ports > TEST_LV2_HOST_MAX_PORTS) test_lv2_host_die("too many ports");
  lilv_plugin_get_port_ranges_float(host->plugin, mins, maxs, host->defaults);

  for (i = 0; i < host->n_ports; ++i) {
    const LilvPort *port = lilv_plugin_get_port_by_index(host->plugin, i);
    const int is_in = lilv_port_is_a(host->plugin, port, input);
    if (lilv_port_is_a(host->plugin, port, audio)) {
      if (is_in && n_in < 2) host->audio_in[n_in++] = i;
      if (!is_in && n_out < 2) host->audio_out[n_out++] = i;
    } else if (lilv_port_is_a(host->plugin, port, control)) {
      /* Outputs start from a sentinel so "was it written?" is testable. */
      host->control[i] = is_in ? host->defaults[i] : -12345.0f;
    } else if (lilv_port_is_a(host->plugin, port, atom_port)) {
      *(is_in ? &host->atom_in : &host->atom_out) = i;
    }
  }
  lilv_node_free(atom_port);
  lilv_node_free(audio);
  lilv_node_free(control);
  lilv_node_free(input);
  if (n_in != n_out || n_in < 1) test_lv2_host_die("<%s>: %u audio inputs, %u outputs", uri, n_in, n_out);
  host->channels = n_in;

  host->instance = lilv_plugin_instantiate(host->plugin, rate, features);
  if (!host->instance) return -1;
  for (i = 0; i < host->n_ports; ++i) {
    int is_audio = 0;
    uint32_t c;
    for (c = 0; c < host->channels; ++c) {
      is_audio |= i == host->audio_in[c] || i == host->audio_out[c];
    }
    is_audio |= i == host->atom_in || i == host->atom_out; /* atoms: test_lv2_host_connect_atoms */
    lilv_instance_connect_port(host->instance, i, is_audio ? NULL : &host->control[i]);
  }
  return 0;
}

void test_lv2_host_close(TestLv2Host *host) {
  if (host->instance) lilv_instance_free(host->instance);
  host->instance = NULL;
}

uint32_t test_lv2_host_port(const TestLv2Host *host, const char *symbol) {
  LilvNode *sym = lilv_new_string(host->world, symbol);
  const LilvPort *port = lilv_plugin_get_port_by_symbol(host->plugin, sym);
  lilv_node_free(sym);
  if (!port) test_lv2_host_die("no port with symbol '%s'", symbol);
  return lilv_port_get_index(host->plugin, port);
}

void test_lv2_host_set(TestLv2Host *host, const char *symbol, float value) {
  host->control[test_lv2_host_port(host, symbol)] = value;
}

float test_lv2_host_get(const TestLv2Host *host, const char *symbol) {
  return host->control[test_lv2_host_port(host, symbol)];
}

void test_lv2_host_defaults(TestLv2Host *host) {
  LilvNode *input = lilv_new_uri(host->world, LILV_URI_INPUT_PORT);
  LilvNode *control = lilv_new_uri(host->world, LILV_URI_CONTROL_PORT);
  uint32_t i;
  for (i = 0; i < host->n_ports; ++i) {
    const LilvPort *port = lilv_plugin_get_port_by_index(host->plugin, i);
    if (lilv_port_is_a(host->plugin, port, control) && lilv_port_is_a(host->plugin, port, input)) {
      host->control[i] = host->defaults[i];
    }
  }
  lilv_node_free(input);
  lilv_node_free(control);
}

void test_lv2_host_connect_audio(TestLv2Host *host, const float *const *in, float *const *out) {
  uint32_t c;
  for (c = 0; c < host->channels; ++c) {
    lilv_instance_connect_port(host->instance, host->audio_in[c], (void *)(in ? in[c] : NULL));
    lilv_instance_connect_port(host->instance, host->audio_out[c], out ? out[c] : NULL);
  }
}

uint32_t test_lv2_host_rand(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

float test_lv2_host_noise(uint32_t *state, float amp) {
  return amp * ((float)(test_lv2_host_rand(state) >> 8) / 8388608.0f - 1.0f);
}

static int test_lv2_host_saved_stderr = -1;
static FILE *test_lv2_host_capture;

void test_lv2_host_capture_begin(void) {
  fflush(stderr);
  test_lv2_host_capture = tmpfile();
  if (!test_lv2_host_capture) test_lv2_host_die("tmpfile failed");
  test_lv2_host_saved_stderr = dup(2);
  dup2(fileno(test_lv2_host_capture), 2);
}

int test_lv2_host_capture_end(char *last, size_t last_len) {
  char line[1024];
  int lines = 0;
  fflush(stderr);
  dup2(test_lv2_host_saved_stderr, 2);
  close(test_lv2_host_saved_stderr);
  rewind(test_lv2_host_capture);
  last[0] = '\0';
  while (fgets(line, sizeof line, test_lv2_host_capture)) {
    ++lines;
    snprintf(last, last_len, "%s", line);
  }
  fclose(test_lv2_host_capture);
  return lines;
}

/* --- URID map, worker, atom ports: what the `model` parameter needs from a host ------------- */
static char *test_lv2_host_uris[256];
static uint32_t test_lv2_host_n_uris;

static LV2_URID test_lv2_host_map_uri(LV2_URID_Map_Handle h, const char *uri) {
  uint32_t i;
  (void)h;
  for (i = 0; i < test_lv2_host_n_uris; ++i)
    if (!strcmp(test_lv2_host_uris[i], uri)) return i + 1;
  if (test_lv2_host_n_uris == 256) return 0;
  test_lv2_host_uris[test_lv2_host_n_uris] = strdup(uri);
  return ++test_lv2_host_n_uris;
}

static const char *test_lv2_host_unmap_urid(LV2_URID_Unmap_Handle h, LV2_URID u) {
  (void)h;
  return u >= 1 && u <= test_lv2_host_n_uris ? test_lv2_host_uris[u - 1] : NULL;
}

LV2_URID_Map *test_lv2_host_map(void) {
  static LV2_URID_Map map = {NULL, test_lv2_host_map_uri};
  return &map;
}

LV2_URID_Unmap *test_lv2_host_unmap(void) {
  static LV2_URID_Unmap unmap = {NULL, test_lv2_host_unmap_urid};
  return &unmap;
}

/* Appends [u32 size][data, padded to 8] to a queue; fails when full (as a real host's ring). */
static LV2_Worker_Status test_lv2_worker_push(unsigned char *q, uint32_t *len, uint32_t size,
                                              const void *data) {
  const uint32_t need = 8 + ((size + 7u) & ~7u);
  if (*len + need > 65536) return LV2_WORKER_ERR_NO_SPACE;
  memcpy(q + *len, &size, 4);
  memcpy(q + *len + 8, data, size);
  *len += need;
  return LV2_WORKER_SUCCESS;
}

static LV2_Worker_Status test_lv2_worker_schedule(LV2_Worker_Schedule_Handle h, uint32_t size,
                                                  const void *data) {
  TestLv2Worker *w = h;
  return test_lv2_worker_push(w->requests, &w->req_len, size, data);
}

static LV2_Worker_Status test_lv2_worker_respond(LV2_Worker_Respond_Handle h, uint32_t size,
                                                 const void *data) {
  TestLv2Worker *w = h;
  return test_lv2_worker_push(w->responses, &w->resp_len, size, data);
}

void test_lv2_worker_init(TestLv2Worker *w) {
  memset(w, 0, sizeof *w);
  w->schedule.handle = w;
  w->schedule.schedule_work = test_lv2_worker_schedule;
}

void test_lv2_worker_bind(TestLv2Worker *w, LilvInstance *instance) {
  w->iface = lilv_instance_get_extension_data(instance, LV2_WORKER__interface);
  w->handle = lilv_instance_get_handle(instance);
  if (!w->iface) test_lv2_host_die("plugin has no worker interface");
}

void test_lv2_worker_run(TestLv2Worker *w) {
  static unsigned char q[65536];
  uint32_t len = w->req_len, pos, size;
  memcpy(q, w->requests, len);
  w->req_len = 0;
  for (pos = 0; pos < len; pos += 8 + ((size + 7u) & ~7u)) {
    memcpy(&size, q + pos, 4);
    w->iface->work(w->handle, test_lv2_worker_respond, w, size, q + pos + 8);
  }
  len = w->resp_len;
  memcpy(q, w->responses, len);
  w->resp_len = 0;
  for (pos = 0; pos < len; pos += 8 + ((size + 7u) & ~7u)) {
    memcpy(&size, q + pos, 4);
    w->iface->work_response(w->handle, size, q + pos + 8);
  }
}

void test_lv2_host_connect_atoms(TestLv2Host *host) {
  LV2_Atom_Sequence *in = (void *)host->seq_in;
  if (host->atom_in == UINT32_MAX || host->atom_out == UINT32_MAX)
    test_lv2_host_die("plugin has no atom ports");
  in->atom.type = test_lv2_host_map_uri(NULL, LV2_ATOM__Sequence);
  in->atom.size = sizeof(LV2_Atom_Sequence_Body);
  in->body.unit = 0;
  in->body.pad = 0;
  lilv_instance_connect_port(host->instance, host->atom_in, host->seq_in);
  lilv_instance_connect_port(host->instance, host->atom_out, host->seq_out);
  host->atoms_connected = 1;
}

void test_lv2_host_set_model(TestLv2Host *host, const char *path) {
  LV2_Atom_Forge forge;
  LV2_Atom_Forge_Frame seq, obj;
  LV2_Atom_Sequence *in = (void *)host->seq_in;
  const uint32_t used = (uint32_t)sizeof(LV2_Atom) + in->atom.size;
  lv2_atom_forge_init(&forge, test_lv2_host_map());
  /* Rewrite the whole sequence: the events already queued, then this one. */
  static uint64_t copy[1024];
  memcpy(copy, host->seq_in, used);
  lv2_atom_forge_set_buffer(&forge, (uint8_t *)host->seq_in, sizeof host->seq_in);
  lv2_atom_forge_sequence_head(&forge, &seq, 0);
  const LV2_Atom_Sequence *queued = (const void *)copy;
  LV2_ATOM_SEQUENCE_FOREACH(queued, ev) {
    lv2_atom_forge_frame_time(&forge, ev->time.frames);
    lv2_atom_forge_write(&forge, &ev->body, (uint32_t)sizeof(LV2_Atom) + ev->body.size);
  }
  lv2_atom_forge_frame_time(&forge, 0);
  lv2_atom_forge_object(&forge, &obj, 0, test_lv2_host_map_uri(NULL, LV2_PATCH__Set));
  lv2_atom_forge_key(&forge, test_lv2_host_map_uri(NULL, LV2_PATCH__property));
  lv2_atom_forge_urid(&forge, test_lv2_host_map_uri(NULL, QUELL_URI_MODEL));
  lv2_atom_forge_key(&forge, test_lv2_host_map_uri(NULL, LV2_PATCH__value));
  lv2_atom_forge_path(&forge, path, (uint32_t)strlen(path));
  lv2_atom_forge_pop(&forge, &obj);
  lv2_atom_forge_pop(&forge, &seq);
}

void test_lv2_host_atoms_ready(TestLv2Host *host) {
  LV2_Atom_Sequence *out = (void *)host->seq_out;
  if (!host->atoms_connected) return;
  out->atom.type = 0;
  out->atom.size = sizeof host->seq_out - sizeof(LV2_Atom);
}

void test_lv2_host_run(TestLv2Host *host, uint32_t n) {
  test_lv2_host_atoms_ready(host);
  lilv_instance_run(host->instance, n);
  test_lv2_host_atoms_read(host);
}

void test_lv2_host_atoms_read(TestLv2Host *host) {
  LV2_Atom_Sequence *in = (void *)host->seq_in;
  LV2_Atom_Sequence *out = (void *)host->seq_out;
  if (!host->atoms_connected) return;
  in->atom.size = sizeof(LV2_Atom_Sequence_Body); /* consumed */
  const LV2_URID set = test_lv2_host_map_uri(NULL, LV2_PATCH__Set);
  const LV2_URID prop = test_lv2_host_map_uri(NULL, LV2_PATCH__property);
  const LV2_URID value = test_lv2_host_map_uri(NULL, LV2_PATCH__value);
  const LV2_URID model = test_lv2_host_map_uri(NULL, QUELL_URI_MODEL);
  const LV2_URID info = test_lv2_host_map_uri(NULL, QUELL_URI_MODEL_INFO);
  if (out->atom.type != test_lv2_host_map_uri(NULL, LV2_ATOM__Sequence)) return;
  LV2_ATOM_SEQUENCE_FOREACH(out, ev) {
    const LV2_Atom_Object *obj = (const LV2_Atom_Object *)&ev->body;
    const LV2_Atom *p = NULL, *v = NULL;
    if (obj->body.otype != set) continue;
    lv2_atom_object_get(obj, prop, &p, value, &v, 0);
    if (!p || !v) continue;
    const LV2_URID key = ((const LV2_Atom_URID *)p)->body;
    if (key == model)
      snprintf(host->model_path, sizeof host->model_path, "%s", (const char *)(v + 1));
    if (key == info) {
      snprintf(host->model_info, sizeof host->model_info, "%s", (const char *)(v + 1));
      host->notifications++;
    }
  }
}
