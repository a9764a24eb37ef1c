/* quell_resample.h — a streaming sample-rate converter for quell-process, on libsoxr.
 *
 * quell-process runs the plugin at a rate it supports and converts files at other rates (8 kHz,
 * 11.025 kHz, ... telephone and dictation recordings) in and back out with two of these. libsoxr
 * (Debian's libsoxr, the resampler behind sox's `rate`) at its high quality with a linear-phase
 * filter: its output is time-aligned with its input (the filter's delay is removed inside), and
 * the passband is flat to within 0.01 dB, so a round trip changes band-limited audio very little.
 * A stream of N frames comes out as round(N * out_rate / in_rate) frames, give or take one; the
 * caller trims or pads the end to the length it needs.
 *
 * Frames are interleaved 32-bit float, `channels` wide, in and out. */
#ifndef QUELL_RESAMPLE_H
#define QUELL_RESAMPLE_H

#include <stddef.h>

typedef struct QuellResampler QuellResampler;

/* Receives each run of converted frames. Returns 0 to go on, anything else to stop: the push or
 * finish call that called it then returns that value. */
typedef int (*QuellResampleSink)(void *user, const float *frames, size_t n);

/* NULL with one line in err if libsoxr refuses the rates or runs out of memory. */
QuellResampler *quell_resampler_new(double in_rate, double out_rate, unsigned channels, char *err,
                                    size_t err_len);
void quell_resampler_free(QuellResampler *r);

/* Converts n input frames, handing whatever output is ready to sink. 0, -1 on a libsoxr error
 * (then quell_resampler_error says which), or the sink's non-zero return. */
int quell_resampler_push(QuellResampler *r, const float *in, size_t n, QuellResampleSink sink,
                         void *user);

/* Ends the stream: the filter's tail goes to sink. Same returns as quell_resampler_push. */
int quell_resampler_finish(QuellResampler *r, QuellResampleSink sink, void *user);

const char *quell_resampler_error(const QuellResampler *r);

/* "libsoxr-0.1.3, high quality, linear phase" (for quell-process -v). */
const char *quell_resampler_engine(void);

#endif
