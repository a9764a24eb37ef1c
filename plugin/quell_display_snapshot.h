/* quell_display_snapshot.h — what a display shows of one instance (per-band reduction, voice
 * probability, gate, total reduction, the controls that scale the picture), handed from the
 * audio thread to a GUI thread without locks: a sequence counter (seqlock) around a fixed block
 * of atomic words. The writer never waits and never allocates; a reader retries a bounded number
 * of times if the writer was in the middle of an update, then reports failure (the caller keeps
 * its previous copy). One writer thread, any number of readers. */
#ifndef QUELL_DISPLAY_SNAPSHOT_H
#define QUELL_DISPLAY_SNAPSHOT_H

#include <stdatomic.h>
#include <stdint.h>

/* The engine's most bands (quell_config.c allows 4..128). */
#define QUELL_DISPLAY_MAX_BANDS 128

/* A plain copy of what is shown. All floats are finite. */
typedef struct {
  uint32_t n_bands;                           /* bands shown (those below Nyquist) */
  float band_db[QUELL_DISPLAY_MAX_BANDS];     /* dB removed per band, >= 0 */
  float voice_prob;                           /* 0..1 */
  float gate_db;                              /* gate gain in dB, <= 0 (0 = open) */
  float reduction_db;                         /* energy removed from the last frame, >= 0 */
  float atten_limit_db;                       /* the control: scales the picture */
  float gate_threshold;                       /* the control: marked on the voice bar */
  uint32_t gate_enabled;                      /* the gate control */
  uint32_t enabled;                           /* 0 = bypassed */
} QuellDisplayState;

#define QUELL_DISPLAY_SNAPSHOT_WORDS (sizeof(QuellDisplayState) / sizeof(uint32_t))

typedef struct {
  atomic_uint seq; /* odd while a write is in progress */
  _Atomic uint32_t words[QUELL_DISPLAY_SNAPSHOT_WORDS];
} QuellDisplaySnapshot;

/* Sets the snapshot to state before any reader exists (instantiate). */
void quell_display_snapshot_init(QuellDisplaySnapshot *snap, const QuellDisplayState *state);

/* Publishes state (writer thread: realtime safe, wait free). */
void quell_display_snapshot_write(QuellDisplaySnapshot *snap, const QuellDisplayState *state);

/* Copies the latest consistent state into out (reader threads). Returns 0, or -1 when every try
 * met a write in progress (out is then untouched). */
int quell_display_snapshot_read(const QuellDisplaySnapshot *snap, QuellDisplayState *out);

/* How many writes have been published (reader threads; for tests and change detection). */
uint32_t quell_display_snapshot_version(const QuellDisplaySnapshot *snap);

#endif
