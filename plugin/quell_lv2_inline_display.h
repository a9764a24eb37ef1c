/* quell_lv2_inline_display.h — the inline-display LV2 extension that Ardour and Carla implement
 * (<http://harrisonconsoles.com/lv2/inlinedisplay>, published by Harrison Consoles / Ardour and
 * documented with Ardour's API reference), written out here from that description so the build
 * needs no host's headers. The layouts below are the ABI those hosts use:
 *
 *   - feature  <...#queue_draw>: data is a QuellLv2InlineDisplay; the plugin may call
 *     queue_draw(handle) from run() to ask for a render() later (the one host call the extension
 *     permits on the audio thread);
 *   - extension data <...#interface>: a QuellLv2InlineDisplayInterface whose render(instance,
 *     w, h) the host calls from a non-realtime thread (usually its GUI thread) with the largest
 *     size it can show; the plugin returns an ARGB32 (native-endian, premultiplied: cairo's
 *     CAIRO_FORMAT_ARGB32) image no larger than that, or NULL. The pixels are owned by the
 *     plugin and must stay valid until the next render() or cleanup. */
#ifndef QUELL_LV2_INLINE_DISPLAY_H
#define QUELL_LV2_INLINE_DISPLAY_H

#include <stdint.h>

#include <lv2/core/lv2.h>

#define QUELL_LV2_INLINEDISPLAY_URI "http://harrisonconsoles.com/lv2/inlinedisplay"
#define QUELL_LV2_INLINEDISPLAY__interface QUELL_LV2_INLINEDISPLAY_URI "#interface"
#define QUELL_LV2_INLINEDISPLAY__queue_draw QUELL_LV2_INLINEDISPLAY_URI "#queue_draw"

/* The image render() returns (the extension's LV2_Inline_Display_Image_Surface). */
typedef struct {
  unsigned char *data; /* ARGB32 pixels, row after row */
  int width;
  int height;
  int stride; /* bytes from one row to the next */
} QuellLv2InlineDisplayImageSurface;

/* The host's queue_draw feature (the extension's LV2_Inline_Display). */
typedef struct {
  void *handle;                    /* the host's, passed back to queue_draw */
  void (*queue_draw)(void *handle); /* realtime safe: called from run() */
} QuellLv2InlineDisplay;

/* The plugin's extension data (the extension's LV2_Inline_Display_Interface). */
typedef struct {
  QuellLv2InlineDisplayImageSurface *(*render)(LV2_Handle instance, uint32_t w, uint32_t h);
} QuellLv2InlineDisplayInterface;

#endif
