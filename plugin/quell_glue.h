/* quell_glue.h — what the LV2 and LADSPA adapters share: one instance object that owns the model
 * and the engine, holds the host's port pointers, and turns control-port values into QuellParams.
 * Both adapters are then a few lines of API translation around it.
 *
 * Port numbering (both APIs): the variant's audio ports first (inputs, then outputs, see
 * QUELL_MONO_AUDIO / QUELL_STEREO_AUDIO in quell_ports.h), then the control ports of
 * QUELL_CONTROL_PORTS in table order.
 *
 * Threads: quell_glue_create/destroy are instantiation class; connect, activate and run are
 * audio class (no allocation, lock, log or I/O). */
#ifndef QUELL_GLUE_H
#define QUELL_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include "quell_ports.h"

/* Largest variant this glue serves (stereo). */
#define QUELL_GLUE_MAX_CHANNELS 2

typedef struct QuellGlue QuellGlue;

/* Number of ports of the variant with this many channels. */
uint32_t quell_glue_port_count(uint32_t channels);

/* Picks the weights file: $QUELL_MODEL when set and not empty, else <dir>/quell.qwb.
 * Returns 0, or -1 (path too long) with one line in err. */
int quell_glue_blob_path(const char *dir, char *path, size_t path_len, char *err, size_t err_len);

/* Checks the rate, loads and validates the blob, creates the engine. Returns NULL with one line
 * (no newline) in err on any failure, having freed everything it made. */
QuellGlue *quell_glue_create(const char *blob_path, double rate, uint32_t channels, char *err,
                             size_t err_len);

/* Frees everything; NULL-safe. */
void quell_glue_destroy(QuellGlue *glue);

/* Records the host's buffer for one port (NULL allowed: see quell_glue_run). Out-of-range port
 * indices are ignored. */
void quell_glue_connect(QuellGlue *glue, uint32_t port, void *data);

/* Clears the signal state (host activate). */
void quell_glue_activate(QuellGlue *glue);

/* For the inline display (plugin/quell_inline_display.h), which reads the engine's meters from
 * run() after quell_glue_run: the engine, and the controls as the engine was given them. Audio
 * class. */
const QuellEngine *quell_glue_engine(const QuellGlue *glue);
void quell_glue_current_params(const QuellGlue *glue, QuellParams *params);

/* One host run() call. Writes the latency port first, on every call (n = 0 and before activate
 * included); unconnected control inputs read as their defaults, unconnected outputs are skipped;
 * if any audio port is unconnected no audio is processed. */
void quell_glue_run(QuellGlue *glue, uint32_t n);

#endif
