/* quell_host.h — the small LV2 host shared by quell-process, quell-jack and the host tests.
 *
 * It loads plugins through lilv exactly as a third-party host would (no private engine shortcut):
 * the world honours LV2_PATH, the plugin is found by URI, required features are checked, ports are
 * described from the plugin's own TTL (so nothing here copies the port table), and presets are
 * read as lilv state from whatever preset bundles are on the path.
 *
 * Threads: everything here is "instantiation class" (may allocate, may log to stderr) except the
 * port-value fields of QuellHostInstance, which the audio thread reads and writes directly. */
#ifndef QUELL_HOST_H
#define QUELL_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <lilv/lilv.h>

typedef struct QuellHost QuellHost;

typedef enum {
  QUELL_HOST_PORT_OTHER = 0, /* a port kind this host does not drive (left unconnected) */
  QUELL_HOST_PORT_AUDIO_IN,
  QUELL_HOST_PORT_AUDIO_OUT,
  QUELL_HOST_PORT_CONTROL_IN,
  QUELL_HOST_PORT_CONTROL_OUT
} QuellHostPortKind;

typedef struct {
  const char *symbol; /* owned by the lilv world */
  QuellHostPortKind kind;
  float def, min, max; /* from the TTL; NaN where the TTL gives none */
  int toggled;         /* lv2:toggled */
  int integer;         /* lv2:integer */
} QuellHostPort;

/* Most audio ports of one direction this host drives (the Quell variants have 1 or 2). */
#define QUELL_HOST_MAX_AUDIO 2

typedef struct {
  const LilvPlugin *plugin;
  LilvInstance *instance;
  double rate;
  uint32_t n_ports;
  QuellHostPort *ports;
  float *values;       /* one value per port; control ports are connected here at instantiate */
  uint32_t n_audio_in, n_audio_out;
  uint32_t audio_in[QUELL_HOST_MAX_AUDIO], audio_out[QUELL_HOST_MAX_AUDIO]; /* port indices */
  int32_t latency_port; /* index of the lv2:latency output, -1 if none */
  int32_t enabled_port; /* index of the lv2:enabled input, -1 if none */
} QuellHostInstance;

/* Creates the lilv world and loads every bundle on LV2_PATH (or lilv's default path). The
 * features offered to plugins are urid:map/unmap, options (sample rate, block lengths),
 * buf-size:boundedBlockLength, log:log (to stderr) and work:schedule (a queue this host works
 * through in quell_host_instance_set_model, never in the audio thread). NULL with a line in err on failure. */
QuellHost *quell_host_new(char *err, size_t err_len);
/* The same, loading exactly these bundle folders (absolute, ending in '/') instead of a path;
 * n_bundles 0 is quell_host_new. */
QuellHost *quell_host_new_bundles(const char *const *bundles, size_t n_bundles, char *err,
                                  size_t err_len);
void quell_host_free(QuellHost *host);

/* The lilv world (for callers that need more queries). */
LilvWorld *quell_host_world(QuellHost *host);

/* Finds a plugin by URI; NULL with a line in err (naming the URI and LV2_PATH) if absent. */
const LilvPlugin *quell_host_plugin(QuellHost *host, const char *uri, char *err, size_t err_len);

/* Instantiates `uri` at `rate`, blocks never longer than max_block frames. Control inputs are
 * connected to `values` and set to their TTL defaults; audio ports are left for the caller to
 * connect. NULL with one line in err if the plugin is missing, needs an unsupported feature, has
 * more audio ports than this host drives, or refuses to instantiate (e.g. unsupported rate). */
QuellHostInstance *quell_host_instance_new(QuellHost *host, const char *uri, double rate,
                                           uint32_t max_block, char *err, size_t err_len);
void quell_host_instance_free(QuellHostInstance *inst);

/* Index of the port with this symbol, or -1. */
int32_t quell_host_instance_port(const QuellHostInstance *inst, const char *symbol);

/* Sets a control input by symbol. Returns 0, or -1 with a line in err if the symbol is not a
 * control input of this plugin or the value lies outside the port's TTL range. */
int quell_host_instance_set(QuellHostInstance *inst, const char *symbol, float value, char *err,
                            size_t err_len);

/* Applies a preset that applies to this plugin, chosen by its URI, its URI fragment ("gentle"
 * matches .../presets/mono#gentle) or its rdfs:label, case-insensitively. Returns 0, or -1 with a
 * line in err listing the presets that exist. */
int quell_host_instance_apply_preset(QuellHost *host, QuellHostInstance *inst, const char *name,
                                     char *err, size_t err_len);

/* Calls fn(uri, label, user) for each preset of the plugin `uri`. Returns the count, or -1. */
int quell_host_presets_each(QuellHost *host, const char *uri,
                            void (*fn)(const char *uri, const char *label, void *user),
                            void *user);

/* Chooses the model file of a plugin with a writable `model` parameter (Quell's), as any host
 * does: patch:Set on the plugin's control atom port, then the plugin's worker runs here (this
 * host's worker is synchronous: call it on an instance not activated, before processing; it
 * activates and deactivates the instance around its run(0) calls), and the plugin's report
 * on its notify port is checked. path "" returns to the shipped model. Returns 0 and the
 * plugin's description of the active model in info, or -1 with one line in err (the plugin has
 * no such parameter, or refused the file: it logs why). */
int quell_host_instance_set_model(QuellHost *host, QuellHostInstance *inst, const char *path,
                                  char *info, size_t info_len, char *err, size_t err_len);

/* The latency the plugin last wrote to its lv2:latency port (frames), or -1 if it has none. */
float quell_host_instance_latency(const QuellHostInstance *inst);

#endif
