/* quell_host.c — the lilv host shared by quell-process, quell-jack and the host tests. */
#include "quell_host.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/presets/presets.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/patch/patch.h>

#define ATOM_NS "http://lv2plug.in/ns/ext/atom#"
#define RDFS_LABEL "http://www.w3.org/2000/01/rdf-schema#label"

/* A URID table: the plugin maps its URIs at instantiate, never in run(), so a plain growing array
 * without a lock is enough here (one thread instantiates at a time in these hosts). */
typedef struct {
  char **uris;
  uint32_t count, cap;
} QuellHostUrids;

struct QuellHost {
  LilvWorld *world;
  QuellHostUrids urids;
  LV2_URID_Map map;
  LV2_URID_Unmap unmap;
  LV2_Log_Log log;
  LV2_URID log_trace, log_note;
  LilvNode *n_audio, *n_control, *n_input, *n_output, *n_latency, *n_enabled, *n_toggled,
      *n_integer, *n_preset, *n_label, *n_designation;
};

static LV2_URID quell_host_urid_map(LV2_URID_Map_Handle handle, const char *uri) {
  QuellHostUrids *t = handle;
  for (uint32_t i = 0; i < t->count; i++)
    if (!strcmp(t->uris[i], uri)) return i + 1; /* URIDs start at 1; 0 means "failed" */
  if (t->count == t->cap) {
    const uint32_t cap = t->cap ? t->cap * 2 : 64;
    char **uris = realloc(t->uris, cap * sizeof *uris);
    if (!uris) return 0;
    t->uris = uris;
    t->cap = cap;
  }
  char *copy = strdup(uri);
  if (!copy) return 0;
  t->uris[t->count++] = copy;
  return t->count;
}

static const char *quell_host_urid_unmap(LV2_URID_Unmap_Handle handle, LV2_URID urid) {
  const QuellHostUrids *t = handle;
  return (urid >= 1 && urid <= t->count) ? t->uris[urid - 1] : NULL;
}

/* log:log to stderr. Quell never logs from run(); a plugin that did would block here, which is
 * its bug to fix, not ours to hide. */
static int quell_host_log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *fmt,
                                  va_list ap) {
  const QuellHost *host = handle;
  /* Notes and traces are the plugin's news, not errors; these command-line hosts keep quiet. */
  if (type && (type == host->log_trace || type == host->log_note)) return 0;
  return vfprintf(stderr, fmt, ap);
}

static int quell_host_log_printf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int r = quell_host_log_vprintf(handle, type, fmt, ap);
  va_end(ap);
  return r;
}

/* lilv turns LV2_PATH entries into file URIs and rejects relative ones (it even crashes on some),
 * so make them absolute first: `LV2_PATH=build/test-lv2 quell-process ...` then just works. */
static void quell_host_absolute_lv2_path(void) {
  const char *path = getenv("LV2_PATH");
  if (!path || !*path) return;
  size_t cap = 1, len = 0;
  for (const char *p = path; *p; p++) cap += (*p == ':') ? PATH_MAX + 1 : 1;
  cap += PATH_MAX + 1;
  char *out = malloc(cap), *copy = strdup(path);
  if (!out || !copy) {
    free(out);
    free(copy);
    return;
  }
  out[0] = '\0';
  char *save = NULL;
  for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    char abs[PATH_MAX];
    const char *use = dir;
    if (dir[0] != '/' && dir[0] != '~' && realpath(dir, abs)) use = abs;
    len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? ":" : "", use);
  }
  setenv("LV2_PATH", out, 1);
  free(out);
  free(copy);
}

QuellHost *quell_host_new(char *err, size_t err_len) {
  return quell_host_new_bundles(NULL, 0, err, err_len);
}

QuellHost *quell_host_new_bundles(const char *const *bundles, size_t n_bundles, char *err,
                                  size_t err_len) {
  if (n_bundles == 0) quell_host_absolute_lv2_path();
  QuellHost *host = calloc(1, sizeof *host);
  if (!host) {
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  host->world = lilv_world_new();
  if (!host->world) {
    snprintf(err, err_len, "cannot create the lilv world");
    free(host);
    return NULL;
  }
  if (n_bundles == 0) lilv_world_load_all(host->world);
  for (size_t i = 0; i < n_bundles; i++) {
    LilvNode *bundle = lilv_new_file_uri(host->world, NULL, bundles[i]);
    if (!bundle) {
      snprintf(err, err_len, "bad bundle path %s", bundles[i]);
      lilv_world_free(host->world);
      free(host);
      return NULL;
    }
    lilv_world_load_bundle(host->world, bundle);
    lilv_node_free(bundle);
  }
  host->map = (LV2_URID_Map){&host->urids, quell_host_urid_map};
  host->unmap = (LV2_URID_Unmap){&host->urids, quell_host_urid_unmap};
  host->log = (LV2_Log_Log){host, quell_host_log_printf, quell_host_log_vprintf};
  host->log_trace = quell_host_urid_map(&host->urids, LV2_LOG__Trace);
  host->log_note = quell_host_urid_map(&host->urids, LV2_LOG__Note);
  LilvWorld *w = host->world;
  host->n_audio = lilv_new_uri(w, LV2_CORE__AudioPort);
  host->n_control = lilv_new_uri(w, LV2_CORE__ControlPort);
  host->n_input = lilv_new_uri(w, LV2_CORE__InputPort);
  host->n_output = lilv_new_uri(w, LV2_CORE__OutputPort);
  host->n_latency = lilv_new_uri(w, LV2_CORE__latency);
  host->n_enabled = lilv_new_uri(w, LV2_CORE__enabled);
  host->n_toggled = lilv_new_uri(w, LV2_CORE__toggled);
  host->n_integer = lilv_new_uri(w, LV2_CORE__integer);
  host->n_preset = lilv_new_uri(w, LV2_PRESETS__Preset);
  host->n_label = lilv_new_uri(w, RDFS_LABEL);
  host->n_designation = lilv_new_uri(w, LV2_CORE__designation);
  return host;
}

void quell_host_free(QuellHost *host) {
  if (!host) return;
  LilvNode *nodes[] = {host->n_audio,   host->n_control, host->n_input,  host->n_output,
                       host->n_latency, host->n_enabled, host->n_toggled, host->n_integer,
                       host->n_preset,  host->n_label,   host->n_designation};
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) lilv_node_free(nodes[i]);
  lilv_world_free(host->world);
  for (uint32_t i = 0; i < host->urids.count; i++) free(host->urids.uris[i]);
  free(host->urids.uris);
  free(host);
}

LilvWorld *quell_host_world(QuellHost *host) { return host->world; }

const LilvPlugin *quell_host_plugin(QuellHost *host, const char *uri, char *err, size_t err_len) {
  LilvNode *node = lilv_new_uri(host->world, uri);
  const LilvPlugins *all = lilv_world_get_all_plugins(host->world);
  const LilvPlugin *plugin = node ? lilv_plugins_get_by_uri(all, node) : NULL;
  lilv_node_free(node);
  if (!plugin) {
    const char *path = getenv("LV2_PATH");
    snprintf(err, err_len, "plugin <%s> not found on LV2_PATH=%s", uri,
             path ? path : "(unset: lilv default)");
  }
  return plugin;
}

/* Features this host provides; anything else a plugin requires is refused up front. */
static int quell_host_feature_known(const char *uri) {
  static const char *const known[] = {LV2_URID__map,       LV2_URID__unmap,
                                      LV2_OPTIONS__options, LV2_BUF_SIZE__boundedBlockLength,
                                      LV2_LOG__log,         LV2_CORE__isLive,
                                      LV2_CORE__hardRTCapable, LV2_CORE__inPlaceBroken,
                                      LV2_WORKER__schedule};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (!strcmp(uri, known[i])) return 1;
  return 0;
}

/* Everything one instance needs to outlive lilv_instance_new (features are read at instantiate
 * and may be kept by the plugin, so they live as long as the instance). */
typedef struct {
  QuellHostInstance pub;
  float rate_f;
  int32_t min_block, max_block, nominal_block;
  LV2_Options_Option options[5];
  LV2_Feature f_map, f_unmap, f_log, f_options, f_bounded, f_schedule;
  const LV2_Feature *features[7];
  /* The worker: requests and responses queued as [u32 size][data padded to 8]; filled without
   * allocating (schedule_work may be called from run()), worked through by set_model. */
  LV2_Worker_Schedule schedule;
  unsigned char requests[16384], responses[16384];
  uint32_t req_len, resp_len;
} QuellHostInstanceFull;

static LV2_Worker_Status quell_host_queue(unsigned char *q, uint32_t *len, uint32_t size,
                                          const void *data) {
  const uint32_t need = 8 + ((size + 7u) & ~7u);
  if (size > 8192 || *len + need > 16384) return LV2_WORKER_ERR_NO_SPACE;
  memcpy(q + *len, &size, 4);
  memcpy(q + *len + 8, data, size);
  *len += need;
  return LV2_WORKER_SUCCESS;
}

static LV2_Worker_Status quell_host_schedule_work(LV2_Worker_Schedule_Handle h, uint32_t size,
                                                  const void *data) {
  QuellHostInstanceFull *full = h;
  return quell_host_queue(full->requests, &full->req_len, size, data);
}

static LV2_Worker_Status quell_host_respond(LV2_Worker_Respond_Handle h, uint32_t size,
                                            const void *data) {
  QuellHostInstanceFull *full = h;
  return quell_host_queue(full->responses, &full->resp_len, size, data);
}

/* Works through the queued requests, then delivers the responses (as a host's audio thread would
 * after a run()). Not concurrent with run(). */
static void quell_host_work(QuellHostInstanceFull *full) {
  const LV2_Worker_Interface *iface =
      lilv_instance_get_extension_data(full->pub.instance, LV2_WORKER__interface);
  LV2_Handle handle = lilv_instance_get_handle(full->pub.instance);
  unsigned char q[16384];
  uint32_t len, size;
  if (!iface) return;
  len = full->req_len;
  memcpy(q, full->requests, len);
  full->req_len = 0;
  for (uint32_t pos = 0; pos < len; pos += 8 + ((size + 7u) & ~7u)) {
    memcpy(&size, q + pos, 4);
    iface->work(handle, quell_host_respond, full, size, q + pos + 8);
  }
  len = full->resp_len;
  memcpy(q, full->responses, len);
  full->resp_len = 0;
  for (uint32_t pos = 0; pos < len; pos += 8 + ((size + 7u) & ~7u)) {
    memcpy(&size, q + pos, 4);
    if (iface->work_response) iface->work_response(handle, size, q + pos + 8);
  }
}

QuellHostInstance *quell_host_instance_new(QuellHost *host, const char *uri, double rate,
                                           uint32_t max_block, char *err, size_t err_len) {
  const LilvPlugin *plugin = quell_host_plugin(host, uri, err, err_len);
  if (!plugin) return NULL;

  LilvNodes *req = lilv_plugin_get_required_features(plugin);
  LILV_FOREACH(nodes, i, req) {
    const char *f = lilv_node_as_uri(lilv_nodes_get(req, i));
    if (!quell_host_feature_known(f)) {
      snprintf(err, err_len, "plugin <%s> requires feature <%s>, which this host lacks", uri, f);
      lilv_nodes_free(req);
      return NULL;
    }
  }
  lilv_nodes_free(req);

  QuellHostInstanceFull *full = calloc(1, sizeof *full);
  QuellHostInstance *inst = full ? &full->pub : NULL;
  const uint32_t n_ports = lilv_plugin_get_num_ports(plugin);
  if (inst) {
    inst->ports = calloc(n_ports ? n_ports : 1, sizeof *inst->ports);
    inst->values = calloc(n_ports ? n_ports : 1, sizeof *inst->values);
  }
  if (!inst || !inst->ports || !inst->values) {
    snprintf(err, err_len, "out of memory");
    goto fail;
  }
  inst->plugin = plugin;
  inst->rate = rate;
  inst->n_ports = n_ports;
  inst->latency_port = -1;
  inst->enabled_port = -1;

  float *mins = calloc(n_ports ? n_ports : 1, sizeof *mins);
  float *maxs = calloc(n_ports ? n_ports : 1, sizeof *maxs);
  float *defs = calloc(n_ports ? n_ports : 1, sizeof *defs);
  if (!mins || !maxs || !defs) {
    free(mins), free(maxs), free(defs);
    snprintf(err, err_len, "out of memory");
    goto fail;
  }
  lilv_plugin_get_port_ranges_float(plugin, mins, maxs, defs);
  for (uint32_t p = 0; p < n_ports; p++) {
    const LilvPort *port = lilv_plugin_get_port_by_index(plugin, p);
    QuellHostPort *hp = &inst->ports[p];
    hp->symbol = lilv_node_as_string(lilv_port_get_symbol(plugin, port));
    hp->min = mins[p], hp->max = maxs[p], hp->def = defs[p];
    hp->toggled = lilv_port_has_property(plugin, port, host->n_toggled);
    hp->integer = lilv_port_has_property(plugin, port, host->n_integer);
    const int in = lilv_port_is_a(plugin, port, host->n_input);
    const int out = lilv_port_is_a(plugin, port, host->n_output);
    if (lilv_port_is_a(plugin, port, host->n_audio) && (in || out)) {
      uint32_t *n = in ? &inst->n_audio_in : &inst->n_audio_out;
      if (*n == QUELL_HOST_MAX_AUDIO) {
        snprintf(err, err_len, "plugin <%s> has more than %d audio %s ports", uri,
                 QUELL_HOST_MAX_AUDIO, in ? "input" : "output");
        free(mins), free(maxs), free(defs);
        goto fail;
      }
      (in ? inst->audio_in : inst->audio_out)[(*n)++] = p;
      hp->kind = in ? QUELL_HOST_PORT_AUDIO_IN : QUELL_HOST_PORT_AUDIO_OUT;
    } else if (lilv_port_is_a(plugin, port, host->n_control) && (in || out)) {
      hp->kind = in ? QUELL_HOST_PORT_CONTROL_IN : QUELL_HOST_PORT_CONTROL_OUT;
      /* A port without a default starts at its minimum (or 0), as most hosts do. */
      inst->values[p] = !isnan(hp->def) ? hp->def : !isnan(hp->min) ? hp->min : 0.0f;
      LilvNodes *des = lilv_port_get_value(plugin, port, host->n_designation);
      LILV_FOREACH(nodes, i, des) {
        const LilvNode *d = lilv_nodes_get(des, i);
        if (out && lilv_node_equals(d, host->n_latency)) inst->latency_port = (int32_t)p;
        if (in && lilv_node_equals(d, host->n_enabled)) inst->enabled_port = (int32_t)p;
      }
      lilv_nodes_free(des);
      /* Older plugins mark the latency port with lv2:reportsLatency instead. */
      if (out && inst->latency_port < 0 && lilv_port_has_property(plugin, port, host->n_latency))
        inst->latency_port = (int32_t)p;
    }
  }
  free(mins), free(maxs), free(defs);
  if (inst->latency_port < 0) {
    const uint32_t lp = lilv_plugin_get_latency_port_index(plugin);
    if (lilv_plugin_has_latency(plugin) && lp < n_ports) inst->latency_port = (int32_t)lp;
  }

  full->rate_f = (float)rate;
  full->min_block = 0;
  full->max_block = (int32_t)max_block;
  full->nominal_block = (int32_t)max_block;
  LV2_URID_Map *m = &host->map;
  const LV2_URID t_int = m->map(m->handle, ATOM_NS "Int");
  const LV2_URID t_float = m->map(m->handle, ATOM_NS "Float");
  full->options[0] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0,
                                          m->map(m->handle, LV2_PARAMETERS__sampleRate),
                                          sizeof(float), t_float, &full->rate_f};
  full->options[1] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0,
                                          m->map(m->handle, LV2_BUF_SIZE__minBlockLength),
                                          sizeof(int32_t), t_int, &full->min_block};
  full->options[2] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0,
                                          m->map(m->handle, LV2_BUF_SIZE__maxBlockLength),
                                          sizeof(int32_t), t_int, &full->max_block};
  full->options[3] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0,
                                          m->map(m->handle, LV2_BUF_SIZE__nominalBlockLength),
                                          sizeof(int32_t), t_int, &full->nominal_block};
  full->options[4] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL};
  full->f_map = (LV2_Feature){LV2_URID__map, &host->map};
  full->f_unmap = (LV2_Feature){LV2_URID__unmap, &host->unmap};
  full->f_log = (LV2_Feature){LV2_LOG__log, &host->log};
  full->f_options = (LV2_Feature){LV2_OPTIONS__options, full->options};
  full->f_bounded = (LV2_Feature){LV2_BUF_SIZE__boundedBlockLength, NULL};
  full->features[0] = &full->f_map;
  full->features[1] = &full->f_unmap;
  full->features[2] = &full->f_log;
  full->features[3] = &full->f_options;
  full->features[4] = &full->f_bounded;
  full->schedule = (LV2_Worker_Schedule){full, quell_host_schedule_work};
  full->f_schedule = (LV2_Feature){LV2_WORKER__schedule, &full->schedule};
  full->features[5] = &full->f_schedule;
  full->features[6] = NULL;

  inst->instance = lilv_plugin_instantiate(plugin, rate, full->features);
  if (!inst->instance) {
    snprintf(err, err_len, "plugin <%s> refused to instantiate at %.0f Hz (see its log above)",
             uri, rate);
    goto fail;
  }
  for (uint32_t p = 0; p < n_ports; p++)
    if (inst->ports[p].kind == QUELL_HOST_PORT_CONTROL_IN ||
        inst->ports[p].kind == QUELL_HOST_PORT_CONTROL_OUT)
      lilv_instance_connect_port(inst->instance, p, &inst->values[p]);
  return inst;

fail:
  quell_host_instance_free(inst);
  return NULL;
}

void quell_host_instance_free(QuellHostInstance *inst) {
  if (!inst) return;
  if (inst->instance) lilv_instance_free(inst->instance);
  free(inst->ports);
  free(inst->values);
  free((QuellHostInstanceFull *)inst);
}

int32_t quell_host_instance_port(const QuellHostInstance *inst, const char *symbol) {
  for (uint32_t p = 0; p < inst->n_ports; p++)
    if (!strcmp(inst->ports[p].symbol, symbol)) return (int32_t)p;
  return -1;
}

int quell_host_instance_set(QuellHostInstance *inst, const char *symbol, float value, char *err,
                            size_t err_len) {
  const int32_t p = quell_host_instance_port(inst, symbol);
  if (p < 0 || inst->ports[p].kind != QUELL_HOST_PORT_CONTROL_IN) {
    int n = snprintf(err, err_len, "'%s' is not a control of <%s>; controls:", symbol,
                     lilv_node_as_uri(lilv_plugin_get_uri(inst->plugin)));
    for (uint32_t q = 0; q < inst->n_ports && n >= 0 && (size_t)n < err_len; q++)
      if (inst->ports[q].kind == QUELL_HOST_PORT_CONTROL_IN)
        n += snprintf(err + n, err_len - (size_t)n, " %s", inst->ports[q].symbol);
    return -1;
  }
  const QuellHostPort *hp = &inst->ports[p];
  if (!isfinite(value) || (!isnan(hp->min) && value < hp->min) ||
      (!isnan(hp->max) && value > hp->max)) {
    snprintf(err, err_len, "%s=%g is outside its range %g..%g", symbol, value, hp->min, hp->max);
    return -1;
  }
  inst->values[p] = value;
  return 0;
}

/* The atom port of one direction that the plugin declares as its lv2:control port, or -1. */
static int32_t quell_host_atom_port(QuellHost *host, const QuellHostInstance *inst, int input) {
  LilvWorld *w = host->world;
  LilvNode *atom_port = lilv_new_uri(w, ATOM_NS "AtomPort");
  int32_t found = -1;
  for (uint32_t p = 0; p < inst->n_ports && found < 0; p++) {
    const LilvPort *port = lilv_plugin_get_port_by_index(inst->plugin, p);
    if (lilv_port_is_a(inst->plugin, port, atom_port) &&
        lilv_port_is_a(inst->plugin, port, input ? host->n_input : host->n_output))
      found = (int32_t)p;
  }
  lilv_node_free(atom_port);
  return found;
}

int quell_host_instance_set_model(QuellHost *host, QuellHostInstance *inst, const char *path,
                                  char *info, size_t info_len, char *err, size_t err_len) {
  QuellHostInstanceFull *full = (QuellHostInstanceFull *)inst;
  LV2_URID_Map *m = &host->map;
  const char *uri = lilv_node_as_uri(lilv_plugin_get_uri(inst->plugin));
  const int32_t in = quell_host_atom_port(host, inst, 1), out = quell_host_atom_port(host, inst, 0);
  /* The parameter's URI: the plugin's patch:writable property with an atom:Path range. */
  LilvNode *writable = lilv_new_uri(host->world, LV2_PATCH__writable);
  LilvNodes *props = lilv_plugin_get_value(inst->plugin, writable);
  char model_uri[512] = "";
  LILV_FOREACH(nodes, i, props) {
    const char *u = lilv_node_as_uri(lilv_nodes_get(props, i));
    const size_t n = strlen(u);
    if (n > 6 && !strcmp(u + n - 6, "#model")) snprintf(model_uri, sizeof model_uri, "%s", u);
  }
  lilv_nodes_free(props);
  lilv_node_free(writable);
  if (in < 0 || out < 0 || !model_uri[0] ||
      !lilv_instance_get_extension_data(inst->instance, LV2_WORKER__interface)) {
    snprintf(err, err_len, "<%s> has no model parameter (a patch:writable #model on atom ports)",
             uri);
    return -1;
  }
  static uint64_t seq_in[1024], seq_out[1024]; /* 8 KiB each, 64-bit aligned */
  const LV2_URID model = m->map(m->handle, model_uri);
  LV2_Atom_Forge forge;
  LV2_Atom_Forge_Frame seq, obj;
  lv2_atom_forge_init(&forge, m);
  lv2_atom_forge_set_buffer(&forge, (uint8_t *)seq_in, sizeof seq_in);
  lv2_atom_forge_sequence_head(&forge, &seq, 0);
  lv2_atom_forge_frame_time(&forge, 0);
  lv2_atom_forge_object(&forge, &obj, 0, m->map(m->handle, LV2_PATCH__Set));
  lv2_atom_forge_key(&forge, m->map(m->handle, LV2_PATCH__property));
  lv2_atom_forge_urid(&forge, model);
  lv2_atom_forge_key(&forge, m->map(m->handle, LV2_PATCH__value));
  lv2_atom_forge_path(&forge, path, (uint32_t)strlen(path));
  lv2_atom_forge_pop(&forge, &obj);
  lv2_atom_forge_pop(&forge, &seq);
  LV2_Atom_Sequence *so = (void *)seq_out, *si = (void *)seq_in;
  lilv_instance_connect_port(inst->instance, (uint32_t)in, seq_in);
  lilv_instance_connect_port(inst->instance, (uint32_t)out, seq_out);
  /* run(0): the plugin queues the load; the worker loads; the next run(0) takes the model and
   * reports it (and queues the old one's release, worked off in the last round). run() needs an
   * activated instance; deactivated again, the caller's activate starts from a clean state. */
  char active[1100] = "", described[300] = "";
  lilv_instance_activate(inst->instance);
  for (int round = 0; round < 3; round++) {
    so->atom.type = 0;
    so->atom.size = sizeof seq_out - sizeof(LV2_Atom);
    lilv_instance_run(inst->instance, 0);
    si->atom.size = sizeof(LV2_Atom_Sequence_Body); /* consumed */
    quell_host_work(full);
    if (so->atom.type != m->map(m->handle, ATOM_NS "Sequence")) continue;
    LV2_ATOM_SEQUENCE_FOREACH(so, ev) {
      const LV2_Atom_Object *o = (const LV2_Atom_Object *)&ev->body;
      const LV2_Atom *key = NULL, *value = NULL;
      if (o->body.otype != m->map(m->handle, LV2_PATCH__Set)) continue;
      lv2_atom_object_get(o, m->map(m->handle, LV2_PATCH__property), &key,
                          m->map(m->handle, LV2_PATCH__value), &value, 0);
      if (!key || !value || key->type != m->map(m->handle, ATOM_NS "URID")) continue;
      const LV2_URID k = ((const LV2_Atom_URID *)key)->body;
      if (k == model) snprintf(active, sizeof active, "%s", (const char *)(value + 1));
      else snprintf(described, sizeof described, "%s", (const char *)(value + 1));
    }
  }
  lilv_instance_deactivate(inst->instance);
  lilv_instance_connect_port(inst->instance, (uint32_t)in, NULL);
  lilv_instance_connect_port(inst->instance, (uint32_t)out, NULL);
  if (strcmp(active, path) != 0) {
    snprintf(err, err_len, "<%s> did not load the model '%s' (its log says why); active: %s", uri,
             path[0] ? path : "(shipped)", described[0] ? described : "?");
    return -1;
  }
  snprintf(info, info_len, "%s", described);
  return 0;
}

float quell_host_instance_latency(const QuellHostInstance *inst) {
  return inst->latency_port >= 0 ? inst->values[inst->latency_port] : -1.0f;
}

/* The label of a preset (loading its data file first), or NULL. Caller frees with lilv_node_free. */
static LilvNode *quell_host_preset_label(QuellHost *host, const LilvNode *preset) {
  lilv_world_load_resource(host->world, preset);
  return lilv_world_get(host->world, preset, host->n_label, NULL);
}

int quell_host_presets_each(QuellHost *host, const char *uri,
                            void (*fn)(const char *uri, const char *label, void *user),
                            void *user) {
  char err[256];
  const LilvPlugin *plugin = quell_host_plugin(host, uri, err, sizeof err);
  if (!plugin) return -1;
  LilvNodes *presets = lilv_plugin_get_related(plugin, host->n_preset);
  int count = 0;
  LILV_FOREACH(nodes, i, presets) {
    const LilvNode *preset = lilv_nodes_get(presets, i);
    LilvNode *label = quell_host_preset_label(host, preset);
    fn(lilv_node_as_uri(preset), label ? lilv_node_as_string(label) : "", user);
    lilv_node_free(label);
    count++;
  }
  lilv_nodes_free(presets);
  return count;
}

typedef struct {
  QuellHost *host;
  QuellHostInstance *inst;
  char *err;
  size_t err_len;
  int failed;
} QuellHostPresetCtx;

/* lilv calls this once per port value in the preset; values arrive as typed atoms. */
static void quell_host_preset_value(const char *symbol, void *user, const void *value,
                                    uint32_t size, uint32_t type) {
  QuellHostPresetCtx *ctx = user;
  if (ctx->failed) return;
  const char *t = quell_host_urid_unmap(&ctx->host->urids, type);
  float v;
  if (t && !strcmp(t, ATOM_NS "Float") && size == sizeof(float)) {
    v = *(const float *)value;
  } else if (t && !strcmp(t, ATOM_NS "Double") && size == sizeof(double)) {
    v = (float)*(const double *)value;
  } else if (t && (!strcmp(t, ATOM_NS "Int") || !strcmp(t, ATOM_NS "Bool")) &&
             size == sizeof(int32_t)) {
    v = (float)*(const int32_t *)value;
  } else if (t && !strcmp(t, ATOM_NS "Long") && size == sizeof(int64_t)) {
    v = (float)*(const int64_t *)value;
  } else {
    snprintf(ctx->err, ctx->err_len, "preset value for '%s' has unsupported type <%s>", symbol,
             t ? t : "?");
    ctx->failed = 1;
    return;
  }
  if (quell_host_instance_set(ctx->inst, symbol, v, ctx->err, ctx->err_len)) ctx->failed = 1;
}

/* Case-insensitive match of `name` against a preset's URI, URI fragment or label. */
static int quell_host_preset_matches(const char *name, const char *uri, const char *label) {
  const char *frag = strrchr(uri, '#');
  return !strcasecmp(name, uri) || (frag && !strcasecmp(name, frag + 1)) ||
         (label && !strcasecmp(name, label));
}

int quell_host_instance_apply_preset(QuellHost *host, QuellHostInstance *inst, const char *name,
                                     char *err, size_t err_len) {
  LilvNodes *presets = lilv_plugin_get_related(inst->plugin, host->n_preset);
  const LilvNode *found = NULL;
  LILV_FOREACH(nodes, i, presets) {
    const LilvNode *preset = lilv_nodes_get(presets, i);
    LilvNode *label = quell_host_preset_label(host, preset);
    if (quell_host_preset_matches(name, lilv_node_as_uri(preset),
                                  label ? lilv_node_as_string(label) : NULL))
      found = preset;
    lilv_node_free(label);
    if (found) break;
  }
  if (!found) {
    int n = snprintf(err, err_len, "no preset '%s' for <%s>; presets:", name,
                     lilv_node_as_uri(lilv_plugin_get_uri(inst->plugin)));
    int listed = 0;
    LILV_FOREACH(nodes, i, presets) {
      const char *u = lilv_node_as_uri(lilv_nodes_get(presets, i));
      const char *frag = strrchr(u, '#');
      if (n >= 0 && (size_t)n < err_len)
        n += snprintf(err + n, err_len - (size_t)n, " %s", frag ? frag + 1 : u);
      listed++;
    }
    if (!listed && n >= 0 && (size_t)n < err_len)
      snprintf(err + n, err_len - (size_t)n, " none on LV2_PATH (is quell-presets.lv2 installed?)");
    lilv_nodes_free(presets);
    return -1;
  }
  LilvState *state = lilv_state_new_from_world(host->world, &host->map, found);
  if (!state) {
    snprintf(err, err_len, "cannot read preset <%s>", lilv_node_as_uri(found));
    lilv_nodes_free(presets);
    return -1;
  }
  QuellHostPresetCtx ctx = {host, inst, err, err_len, 0};
  lilv_state_emit_port_values(state, quell_host_preset_value, &ctx);
  lilv_state_free(state);
  lilv_nodes_free(presets);
  return ctx.failed ? -1 : 0;
}
