/* quell_inline_display.h — Quell's picture in a host's mixer strip (the inline-display extension,
 * plugin/quell_lv2_inline_display.h): the reduction per band across frequency as a filled curve
 * hanging from 0 dB (bands on the engine's ERB-like axis, 0..30 dB, or 0..the attenuation limit
 * when that is lower), the total reduction as a number, the voice probability as a bar and the
 * voice gate as a lamp (dark: off, green: open, red: closed).
 *
 * Threads: create/destroy are instantiation class; quell_inline_display_run is audio class (it
 * copies a few hundred bytes into a lock-free snapshot about 30 times a second and calls the
 * host's queue_draw, nothing else); quell_inline_display_render is for the host's GUI thread (it
 * reads only the snapshot, never the engine, and reallocates its image only when the size
 * changes). run and render may overlap in time; two renders may not. */
#ifndef QUELL_INLINE_DISPLAY_H
#define QUELL_INLINE_DISPLAY_H

#include <stdint.h>

#include "../dsp/quell.h"
#include "quell_display_snapshot.h"
#include "quell_lv2_inline_display.h"

/* Most redraws asked for per second: hosts draw strips at about this rate, and the engine's
 * state changes every 5 ms, far more often than anyone can read. */
#define QUELL_INLINE_DISPLAY_HZ 30

typedef struct QuellInlineDisplay QuellInlineDisplay;

/* The display of one instance running engine at rate, or NULL when the host offers no
 * queue_draw (then nothing is drawn, as the extension expects) or memory runs out. */
QuellInlineDisplay *quell_inline_display_create(const QuellLv2InlineDisplay *queue_draw,
                                                const QuellEngine *engine, double rate);

/* Frees the display and its image; NULL-safe. */
void quell_inline_display_destroy(QuellInlineDisplay *display);

/* After each run() of n frames: every rate/30 frames (counted, not timed), publishes the engine's
 * latest band gains, voice probability, gate and reduction with the controls in params, and asks
 * the host for a redraw if anything changed. NULL-safe; audio class. */
void quell_inline_display_run(QuellInlineDisplay *display, const QuellEngine *engine,
                              const QuellParams *params, uint32_t n);

/* Draws the latest snapshot at w x min(h, w) pixels (a strip is narrow; a square says all) and
 * returns the image, owned by the display until the next render or destroy; NULL if w or h is
 * below 8 or cairo fails. GUI thread. */
QuellLv2InlineDisplayImageSurface *quell_inline_display_render(QuellInlineDisplay *display,
                                                               uint32_t w, uint32_t h);

#endif
