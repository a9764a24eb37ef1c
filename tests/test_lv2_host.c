/* test_lv2_host.c — the small lilv host the plugin-level tests share (see test_lv2_host.h). */
#include "test_lv2_host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
  const LilvPlugins *plugins = lilv_world_get_all_plugins(world);
  float mins[TEST_LV2_HOST_MAX_PORTS], maxs[TEST_LV2_HOST_MAX_PORTS];
  uint32_t i, n_in = 0, n_out = 0;

  memset(host, 0, sizeof *host);
  host->world = world;
  host->plugin = lilv_plugins_get_by_uri(plugins, uri_node);
  lilv_node_free(uri_node);
  if (!host->plugin) test_lv2_host_die("plugin <%s> not found in LV2_PATH", uri);
  host->n_ports = lilv_plugin_get_num_ports(host->plugin);
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
    }
  }
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
