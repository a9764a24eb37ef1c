/* test_lv2_metadata — what hosts show and lv2lint checks, read back through lilv from the fixture
 * bundle's generated TTL with the LV2 specifications loaded beside it (as lv2lint loads them).
 * lv2lint itself is not packaged in Debian 12, so its default-mode plugin and port checks that
 * apply to Quell are repeated here, at warning level and above:
 *  - plugin: verifies, named, licensed, versioned, in a project with a name; a class below
 *    lv2:Plugin (lv2:SpectralPlugin); every optional feature a declared lv2:Feature; a maintainer
 *    with foaf:name, foaf:mbox and foaf:homepage (lilv_plugin_get_author_*, lv2lint's source);
 *  - every control port: an rdfs:comment (the tooltip), numeric min <= default <= max for inputs,
 *    toggles defaulting to 0 or 1, every port property a declared lv2:PortProperty, units a URI,
 *    logarithmic ranges above 0;
 *  - the issue's choices: gate_hold logarithmic; gate, gate_threshold, gate_hold and gate_floor in
 *    one labelled pg:Group; audio ports in the variant's main input and output groups, designated
 *    pg:center (mono) or pg:left / pg:right (stereo). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lilv/lilv.h>

#include "../plugin/quell_ports.h"
#include "test_lv2_host.h"

#define CHECK test_lv2_host_check

#define NS_LV2 "http://lv2plug.in/ns/lv2core#"
#define NS_PG "http://lv2plug.in/ns/ext/port-groups#"
#define NS_PPROPS "http://lv2plug.in/ns/ext/port-props#"
#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_RDFS "http://www.w3.org/2000/01/rdf-schema#"
#define NS_DOAP "http://usefulinc.com/ns/doap#"
#define NS_UNITS "http://lv2plug.in/ns/extensions/units#"

/* Where Debian's lv2-dev puts the specification bundles (lv2core, port-groups, ...). */
static const char *const spec_dirs[] = {"/usr/lib/lv2", "/usr/local/lib/lv2"};

static LilvWorld *world_with_specs(void) {
  static char path[8400];
  char fixture[4096], probe[4200];
  struct stat st;
  const char *spec = NULL;
  size_t i;
  LilvWorld *world;

  snprintf(probe, sizeof probe, "%s/test-lv2", test_lv2_host_build_dir());
  if (!realpath(probe, fixture)) test_lv2_host_die("%s missing: run `make fixture-bundle`", probe);
  for (i = 0; i < sizeof spec_dirs / sizeof spec_dirs[0] && !spec; ++i) {
    snprintf(probe, sizeof probe, "%s/core.lv2/manifest.ttl", spec_dirs[i]);
    if (stat(probe, &st) == 0) spec = spec_dirs[i];
  }
  if (!spec) test_lv2_host_die("LV2 specifications (core.lv2) not found: install lv2-dev");
  snprintf(path, sizeof path, "%s:%s", fixture, spec);
  setenv("LV2_PATH", path, 1);
  world = lilv_world_new();
  lilv_world_load_all(world);
  return world;
}

static LilvNode *uri(LilvWorld *w, const char *u) { return lilv_new_uri(w, u); }

/* True when `subject` has rdf:type `type` in the world. */
static int is_a(LilvWorld *w, const LilvNode *subject, const char *type) {
  LilvNode *rdf_type = uri(w, NS_RDF "type"), *t = uri(w, type);
  const int yes = lilv_world_ask(w, subject, rdf_type, t);
  lilv_node_free(rdf_type);
  lilv_node_free(t);
  return yes;
}

static void check_plugin(LilvWorld *w, const LilvPlugin *p, const char *name) {
  LilvNode *license_pred = uri(w, NS_DOAP "license"), *doap_name = uri(w, NS_DOAP "name");
  LilvNode *minor = uri(w, NS_LV2 "minorVersion"), *micro = uri(w, NS_LV2 "microVersion");
  LilvNode *n, *project;
  LilvNodes *ns;
  const LilvPluginClass *klass = lilv_plugin_get_class(p);

  CHECK(lilv_plugin_verify(p), "%s: lilv_plugin_verify fails", name);
  n = lilv_plugin_get_name(p);
  CHECK(n && lilv_node_is_string(n) && lilv_node_as_string(n)[0], "%s: no doap:name", name);
  lilv_node_free(n);
  n = lilv_world_get(w, lilv_plugin_get_uri(p), license_pred, NULL);
  CHECK(n && lilv_node_is_uri(n), "%s: doap:license missing or not a URI", name);
  lilv_node_free(n);

  n = lilv_plugin_get_author_name(p);
  CHECK(n && lilv_node_is_string(n) && lilv_node_as_string(n)[0], "%s: maintainer foaf:name", name);
  lilv_node_free(n);
  n = lilv_plugin_get_author_email(p);
  CHECK(n && lilv_node_is_uri(n) && !strncmp(lilv_node_as_uri(n), "mailto:", 7),
        "%s: maintainer foaf:mbox missing or not a mailto: URI", name);
  lilv_node_free(n);
  n = lilv_plugin_get_author_homepage(p);
  CHECK(n && lilv_node_is_uri(n), "%s: maintainer foaf:homepage missing or not a URI", name);
  lilv_node_free(n);

  ns = lilv_plugin_get_value(p, minor);
  CHECK(ns && lilv_node_is_int(lilv_nodes_get_first(ns)), "%s: lv2:minorVersion", name);
  lilv_nodes_free(ns);
  ns = lilv_plugin_get_value(p, micro);
  CHECK(ns && lilv_node_is_int(lilv_nodes_get_first(ns)), "%s: lv2:microVersion", name);
  lilv_nodes_free(ns);

  project = lilv_plugin_get_project(p);
  CHECK(project != NULL, "%s: no lv2:project", name);
  if (project) {
    n = lilv_world_get(w, project, doap_name, NULL);
    CHECK(n && lilv_node_is_string(n), "%s: lv2:project has no doap:name", name);
    lilv_node_free(n);
    lilv_node_free(project);
  }

  /* A base-class plugin is a lv2lint warning; Spectral is where Quell is meant to be listed. */
  CHECK(klass && !strcmp(lilv_node_as_uri(lilv_plugin_class_get_uri(klass)), NS_LV2 "SpectralPlugin"),
        "%s: class <%s>, want lv2:SpectralPlugin", name,
        klass ? lilv_node_as_uri(lilv_plugin_class_get_uri(klass)) : "(none)");

  ns = lilv_plugin_get_supported_features(p);
  LILV_FOREACH (nodes, i, ns) {
    const LilvNode *f = lilv_nodes_get(ns, i);
    CHECK(is_a(w, f, NS_LV2 "Feature"), "%s: feature <%s> is no declared lv2:Feature", name,
          lilv_node_as_uri(f));
  }
  lilv_nodes_free(ns);

  lilv_node_free(license_pred);
  lilv_node_free(doap_name);
  lilv_node_free(minor);
  lilv_node_free(micro);
}

/* Numeric literal of a port's predicate into *v; 0 when absent or not a number. */
static int port_number(const LilvPlugin *p, const LilvPort *port, LilvNode *pred, float *v) {
  LilvNodes *ns = lilv_port_get_value(p, port, pred);
  const LilvNode *n = ns ? lilv_nodes_get_first(ns) : NULL;
  const int ok = n && (lilv_node_is_float(n) || lilv_node_is_int(n));
  if (ok) *v = lilv_node_as_float(n);
  lilv_nodes_free(ns);
  return ok;
}

static const char *port_group(LilvWorld *w, const LilvPlugin *p, const LilvPort *port,
                              char *buf, size_t len) {
  LilvNode *pred = uri(w, NS_PG "group");
  LilvNodes *ns = lilv_port_get_value(p, port, pred);
  const LilvNode *n = ns ? lilv_nodes_get_first(ns) : NULL;
  snprintf(buf, len, "%s", n && lilv_node_is_uri(n) ? lilv_node_as_uri(n) : "");
  lilv_nodes_free(ns);
  lilv_node_free(pred);
  return buf;
}

static int port_designated(LilvWorld *w, const LilvPlugin *p, const LilvPort *port,
                           const char *designation) {
  LilvNode *pred = uri(w, NS_LV2 "designation"), *d = uri(w, designation);
  LilvNodes *ns = lilv_port_get_value(p, port, pred);
  const int yes = ns && lilv_nodes_contains(ns, d);
  lilv_nodes_free(ns);
  lilv_node_free(pred);
  lilv_node_free(d);
  return yes;
}

static void check_ports(LilvWorld *w, const LilvPlugin *p, const char *name, int stereo) {
  LilvNode *control = uri(w, NS_LV2 "ControlPort"), *audio = uri(w, NS_LV2 "AudioPort");
  LilvNode *input = uri(w, NS_LV2 "InputPort"), *comment = uri(w, NS_RDFS "comment");
  LilvNode *def_p = uri(w, NS_LV2 "default"), *min_p = uri(w, NS_LV2 "minimum");
  LilvNode *max_p = uri(w, NS_LV2 "maximum"), *toggled = uri(w, NS_LV2 "toggled");
  LilvNode *logarithmic = uri(w, NS_PPROPS "logarithmic"), *unit_p = uri(w, NS_UNITS "unit");
  const char *variant = stereo ? "stereo" : "mono";
  char gate_group[256], want_in[256], want_out[256], buf[256];
  uint32_t i;
  int in_gate_group = 0;

  snprintf(gate_group, sizeof gate_group, "%s#%s", QUELL_URI_BASE, QUELL_GROUP_GATE);
  snprintf(want_in, sizeof want_in, "%s#%s_in", QUELL_URI_BASE, variant);
  snprintf(want_out, sizeof want_out, "%s#%s_out", QUELL_URI_BASE, variant);

  for (i = 0; i < lilv_plugin_get_num_ports(p); ++i) {
    const LilvPort *port = lilv_plugin_get_port_by_index(p, i);
    const char *sym = lilv_node_as_string(lilv_port_get_symbol(p, port));
    const int is_input = lilv_port_is_a(p, port, input);
    LilvNodes *props = lilv_port_get_properties(p, port);
    LILV_FOREACH (nodes, j, props) {
      const LilvNode *prop = lilv_nodes_get(props, j);
      CHECK(is_a(w, prop, NS_LV2 "PortProperty"), "%s: %s: <%s> is no declared lv2:PortProperty",
            name, sym, lilv_node_as_uri(prop));
    }
    lilv_nodes_free(props);

    if (lilv_port_is_a(p, port, audio)) {
      const char *channel = !stereo ? NS_PG "center" : strchr(sym, '_')[1] == 'l' ? NS_PG "left"
                                                                                  : NS_PG "right";
      CHECK(!strcmp(port_group(w, p, port, buf, sizeof buf), is_input ? want_in : want_out),
            "%s: audio port %s in group <%s>, want <%s>", name, sym, buf,
            is_input ? want_in : want_out);
      CHECK(port_designated(w, p, port, channel), "%s: audio port %s not designated <%s>", name,
            sym, channel);
      continue;
    }
    if (!lilv_port_is_a(p, port, control)) continue;

    LilvNodes *c = lilv_port_get_value(p, port, comment);
    const LilvNode *cn = c ? lilv_nodes_get_first(c) : NULL;
    CHECK(cn && lilv_node_is_string(cn) && strlen(lilv_node_as_string(cn)) > 20,
          "%s: control %s has no rdfs:comment (hosts show it as the tooltip)", name, sym);
    lilv_nodes_free(c);

    LilvNodes *units = lilv_port_get_value(p, port, unit_p);
    if (units) CHECK(lilv_node_is_uri(lilv_nodes_get_first(units)), "%s: %s: unit not a URI", name, sym);
    lilv_nodes_free(units);

    if (is_input) {
      float def = 0, lo = 0, hi = 0;
      const int ok = port_number(p, port, def_p, &def) && port_number(p, port, min_p, &lo) &&
                     port_number(p, port, max_p, &hi);
      CHECK(ok && lo <= def && def <= hi, "%s: %s: min %g <= default %g <= max %g fails", name,
            sym, lo, def, hi);
      if (lilv_port_has_property(p, port, toggled))
        CHECK(def == 0.0f || def == 1.0f, "%s: toggle %s defaults to %g", name, sym, def);
      if (lilv_port_has_property(p, port, logarithmic))
        CHECK(lo > 0.0f && hi > 0.0f, "%s: logarithmic %s has range %g..%g", name, sym, lo, hi);
    }

    port_group(w, p, port, buf, sizeof buf);
    if (!strncmp(sym, "gate", 4)) {
      CHECK(!strcmp(buf, gate_group), "%s: %s in group <%s>, want <%s>", name, sym, buf,
            gate_group);
      in_gate_group += !strcmp(buf, gate_group);
    } else {
      CHECK(buf[0] == '\0', "%s: %s unexpectedly in group <%s>", name, sym, buf);
    }
    if (!strcmp(sym, "gate_hold"))
      CHECK(lilv_port_has_property(p, port, logarithmic), "%s: gate_hold is not logarithmic", name);
  }
  CHECK(in_gate_group == 4, "%s: %d controls in the gate group, want 4", name, in_gate_group);

  lilv_node_free(control);
  lilv_node_free(audio);
  lilv_node_free(input);
  lilv_node_free(comment);
  lilv_node_free(def_p);
  lilv_node_free(min_p);
  lilv_node_free(max_p);
  lilv_node_free(toggled);
  lilv_node_free(logarithmic);
  lilv_node_free(unit_p);
}

/* The group resources themselves: typed, labelled, with a symbol; the plugin's main groups. */
static void check_groups(LilvWorld *w, const LilvPlugin *p, const char *name, int stereo) {
  LilvNode *label = uri(w, NS_RDFS "label"), *symbol = uri(w, NS_LV2 "symbol");
  LilvNode *main_in = uri(w, NS_PG "mainInput"), *main_out = uri(w, NS_PG "mainOutput");
  const char *variant = stereo ? "stereo" : "mono";
  const char *klass = stereo ? NS_PG "StereoGroup" : NS_PG "MonoGroup";
  char g[256];
  const char *which[3] = {"in", "out", NULL};
  int k;

  snprintf(g, sizeof g, "%s#%s", QUELL_URI_BASE, QUELL_GROUP_GATE);
  which[2] = g;
  for (k = 0; k < 3; ++k) {
    char u[256];
    LilvNode *group, *n;
    if (k < 2) snprintf(u, sizeof u, "%s#%s_%s", QUELL_URI_BASE, variant, which[k]);
    else snprintf(u, sizeof u, "%s", g);
    group = uri(w, u);
    CHECK(is_a(w, group, k < 2 ? klass : NS_PG "Group"), "%s: <%s> is not a %s", name, u,
          k < 2 ? klass : "pg:Group");
    if (k < 2)
      CHECK(is_a(w, group, k == 0 ? NS_PG "InputGroup" : NS_PG "OutputGroup"),
            "%s: <%s> is not an input/output group", name, u);
    n = lilv_world_get(w, group, label, NULL);
    CHECK(n && lilv_node_is_string(n), "%s: <%s> has no rdfs:label", name, u);
    lilv_node_free(n);
    n = lilv_world_get(w, group, symbol, NULL);
    CHECK(n && lilv_node_is_string(n), "%s: <%s> has no lv2:symbol", name, u);
    lilv_node_free(n);
    if (k < 2) {
      n = lilv_world_get(w, lilv_plugin_get_uri(p), k == 0 ? main_in : main_out, NULL);
      CHECK(n && !strcmp(lilv_node_as_uri(n), u), "%s: pg:main%s is not <%s>", name,
            k == 0 ? "Input" : "Output", u);
      lilv_node_free(n);
    }
    lilv_node_free(group);
  }
  lilv_node_free(label);
  lilv_node_free(symbol);
  lilv_node_free(main_in);
  lilv_node_free(main_out);
}

int main(void) {
  static const char *const uris[] = {QUELL_URI_MONO, QUELL_URI_STEREO};
  LilvWorld *w = world_with_specs();
  const LilvPlugins *all = lilv_world_get_all_plugins(w);
  size_t u;

  for (u = 0; u < 2; ++u) {
    LilvNode *n = uri(w, uris[u]);
    const LilvPlugin *p = lilv_plugins_get_by_uri(all, n);
    lilv_node_free(n);
    if (!p) test_lv2_host_die("<%s> not found in the fixture bundle", uris[u]);
    check_plugin(w, p, uris[u]);
    check_ports(w, p, uris[u], u == 1);
    check_groups(w, p, uris[u], u == 1);
  }
  lilv_world_free(w);
  if (test_lv2_host_failures) {
    printf("FAIL: %d metadata check(s) failed\n", test_lv2_host_failures);
    return 1;
  }
  printf("PASS: both plugins carry the metadata lv2lint checks and hosts show\n");
  return 0;
}
