/* test_lv2_host.h — a minimal lilv host for the plugin-level tests: loads the fixture bundle
 * (LV2_PATH = build/test-lv2, or $QUELL_TEST_LV2_PATH), instantiates a Quell variant, connects
 * every control port to a float it owns (at the TTL default) and the audio ports on request.
 * Ports are found by symbol through lilv, so the tests also check the generated TTL. */
#ifndef TEST_LV2_HOST_H
#define TEST_LV2_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#define TEST_LV2_HOST_MAX_PORTS 32

typedef struct {
  LilvWorld *world;
  const LilvPlugin *plugin;
  LilvInstance *instance;
  uint32_t n_ports;
  uint32_t channels;
  uint32_t audio_in[2];
  uint32_t audio_out[2];
  float control[TEST_LV2_HOST_MAX_PORTS]; /* control port buffers, by port index */
  float defaults[TEST_LV2_HOST_MAX_PORTS];
  /* Atom ports (the `model` parameter): unconnected unless test_lv2_host_connect_atoms. */
  uint32_t atom_in, atom_out; /* port indices; UINT32_MAX when the plugin has none */
  uint64_t seq_in[1024], seq_out[1024]; /* 8 KiB sequence buffers, 64-bit aligned */
  int atoms_connected;
  /* What the plugin last reported on its notify port (test_lv2_host_run fills them). */
  char model_path[1100], model_info[300];
  int notifications;
} TestLv2Host;

/* A worker as hosts provide it (LV2 worker extension), run synchronously by the test: schedule
 * queues requests, test_lv2_worker_run performs them and delivers the responses. */
typedef struct {
  LV2_Worker_Schedule schedule;
  const LV2_Worker_Interface *iface;
  LV2_Handle handle;
  unsigned char requests[65536], responses[65536];
  uint32_t req_len, resp_len;
} TestLv2Worker;

/* Failure counter shared by the checks below; tests return test_lv2_host_failures != 0. */
extern int test_lv2_host_failures;

/* Prints "FAIL: ..." and counts a failure when cond is false. Returns cond. */
int test_lv2_host_check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the message and exits 1 (for set-up errors that make going on pointless). */
void test_lv2_host_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* The build folder (env BUILD, else the one compiled in). */
const char *test_lv2_host_build_dir(void);

/* Sets LV2_PATH to the fixture bundle folder and loads the world; dies when the bundle is
 * missing (run `make fixture-bundle`). */
LilvWorld *test_lv2_host_world(void);

/* Instantiates uri at rate with the given features (NULL allowed). Returns 0, or -1 when the
 * plugin returned NULL (dies if the URI is not found). Control ports are connected to
 * host->control[] at their TTL defaults; audio ports are left unconnected. */
int test_lv2_host_open(TestLv2Host *host, LilvWorld *world, const char *uri, double rate,
                       const LV2_Feature *const *features);
void test_lv2_host_close(TestLv2Host *host);

/* Port index of a symbol (dies if absent). */
uint32_t test_lv2_host_port(const TestLv2Host *host, const char *symbol);
void test_lv2_host_set(TestLv2Host *host, const char *symbol, float value);
float test_lv2_host_get(const TestLv2Host *host, const char *symbol);
/* Resets every control input to its TTL default. */
void test_lv2_host_defaults(TestLv2Host *host);

/* The URID map every test host shares (not thread-safe: map at instantiate only). */
LV2_URID_Map *test_lv2_host_map(void);
LV2_URID_Unmap *test_lv2_host_unmap(void);

/* Sets up a worker (before instantiate: pass &w->schedule as the work:schedule feature), binds it
 * to the instance after, and runs queued work then responses in the calling thread. */
void test_lv2_worker_init(TestLv2Worker *w);
void test_lv2_worker_bind(TestLv2Worker *w, LilvInstance *instance);
void test_lv2_worker_run(TestLv2Worker *w);

/* Connects the atom ports to the host's sequence buffers. */
void test_lv2_host_connect_atoms(TestLv2Host *host);
/* Queues a patch:Set of the model parameter (path "" = shipped) for the next test_lv2_host_run. */
void test_lv2_host_set_model(TestLv2Host *host, const char *path);
/* One run(): readies the atom buffers, runs, and records the notify port's patch:Set values. */
void test_lv2_host_run(TestLv2Host *host, uint32_t n);
/* test_lv2_host_run in two halves, for hosts that run() themselves: before (the notify buffer's
 * capacity) and after (the control sequence emptied, the notify port read). */
void test_lv2_host_atoms_ready(TestLv2Host *host);
void test_lv2_host_atoms_read(TestLv2Host *host);

/* Connects audio: in[c], out[c] for each channel (NULL allowed). */
void test_lv2_host_connect_audio(TestLv2Host *host, const float *const *in, float *const *out);

/* Redirects stderr (fd 2) to a temporary file until capture_end, which restores it, returns the
 * number of lines written meanwhile and copies the last one into last. Not nestable. */
void test_lv2_host_capture_begin(void);
int test_lv2_host_capture_end(char *last, size_t last_len);

/* Deterministic uniform noise in [-amp, amp] (xorshift32; state must be non-zero). */
float test_lv2_host_noise(uint32_t *state, float amp);
uint32_t test_lv2_host_rand(uint32_t *state);

#endif
