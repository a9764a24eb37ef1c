/* quell_display_snapshot.c — the seqlock of quell_display_snapshot.h.
 *
 * Every shared word is an atomic accessed with relaxed order, so there is no data race for the
 * compiler or ThreadSanitizer to see; the ordering comes from the counter: the writer makes it
 * odd, fences (release), writes the words, then makes it even with a release store; a reader
 * loads it (acquire), reads the words, fences (acquire) and reloads it: the copy is consistent
 * when both loads saw the same even value. */
#include "quell_display_snapshot.h"

#include <string.h>

_Static_assert(sizeof(QuellDisplayState) % sizeof(uint32_t) == 0, "state must be whole words");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic words must be lock free for the audio thread");

/* A writer is done within microseconds; a reader that keeps meeting writes draws its last copy. */
#define QUELL_DISPLAY_SNAPSHOT_TRIES 64

void quell_display_snapshot_init(QuellDisplaySnapshot *snap, const QuellDisplayState *state) {
  atomic_init(&snap->seq, 0u);
  uint32_t w[QUELL_DISPLAY_SNAPSHOT_WORDS];
  memcpy(w, state, sizeof w);
  for (size_t i = 0; i < QUELL_DISPLAY_SNAPSHOT_WORDS; i++) atomic_init(&snap->words[i], w[i]);
}

void quell_display_snapshot_write(QuellDisplaySnapshot *snap, const QuellDisplayState *state) {
  uint32_t w[QUELL_DISPLAY_SNAPSHOT_WORDS];
  memcpy(w, state, sizeof w);
  const unsigned seq = atomic_load_explicit(&snap->seq, memory_order_relaxed);
  atomic_store_explicit(&snap->seq, seq + 1u, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  for (size_t i = 0; i < QUELL_DISPLAY_SNAPSHOT_WORDS; i++)
    atomic_store_explicit(&snap->words[i], w[i], memory_order_relaxed);
  atomic_store_explicit(&snap->seq, seq + 2u, memory_order_release);
}

int quell_display_snapshot_read(const QuellDisplaySnapshot *snap, QuellDisplayState *out) {
  QuellDisplaySnapshot *s = (QuellDisplaySnapshot *)snap; /* atomic loads want non-const */
  uint32_t w[QUELL_DISPLAY_SNAPSHOT_WORDS];
  for (int t = 0; t < QUELL_DISPLAY_SNAPSHOT_TRIES; t++) {
    const unsigned before = atomic_load_explicit(&s->seq, memory_order_acquire);
    if (before & 1u) continue;
    for (size_t i = 0; i < QUELL_DISPLAY_SNAPSHOT_WORDS; i++)
      w[i] = atomic_load_explicit(&s->words[i], memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&s->seq, memory_order_relaxed) == before) {
      memcpy(out, w, sizeof w);
      return 0;
    }
  }
  return -1;
}

uint32_t quell_display_snapshot_version(const QuellDisplaySnapshot *snap) {
  QuellDisplaySnapshot *s = (QuellDisplaySnapshot *)snap;
  return atomic_load_explicit(&s->seq, memory_order_acquire) / 2u;
}
