/* quell_report.h — the picture `quell-process --report FILE` draws: what Quell removed from a
 * file, over time. Four panels on one time axis: the input's spectrogram, the output's, the
 * reduction per band (energy in / energy out on an ERB-rate axis, 0 to 30 dB), and the voice
 * probability the plugin reported with the total reduction. The per-band reduction is measured
 * from the audio itself (what a listener gets), so it needs nothing but the plugin's public ports.
 *
 * Input and output are pushed separately but must be aligned (frame i of one is frame i of the
 * other: quell-process compensates the latency). Memory is bounded whatever the length: columns
 * are merged in pairs when there are too many. PNG or SVG by the file's extension (cairo). */
#ifndef QUELL_REPORT_H
#define QUELL_REPORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct QuellReport QuellReport;

/* True when path ends in .png or .svg (case-insensitive): the formats write can make. */
int quell_report_path_ok(const char *path);

/* A report for audio at rate. NULL with a line in err when out of memory. */
QuellReport *quell_report_new(double rate, char *err, size_t err_len);
/* NULL-safe. */
void quell_report_free(QuellReport *report);

/* n frames of `channels` interleaved channels (averaged to one), from the start of the file on:
 * what went into the plugin / what came out, aligned. Returns 0, or -1 when out of memory. */
int quell_report_push_input(QuellReport *report, const float *frames, size_t n, int channels);
int quell_report_push_output(QuellReport *report, const float *frames, size_t n, int channels);

/* The plugin's voice probability (0..1) for output frame `frame`. */
void quell_report_voice(QuellReport *report, int64_t frame, float prob);

/* Draws the report to path (.png or .svg) with title as its heading. Returns 0, or -1 with a
 * line in err. */
int quell_report_write(QuellReport *report, const char *path, const char *title, char *err,
                       size_t err_len);

#endif
