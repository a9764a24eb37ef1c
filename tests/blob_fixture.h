/* blob_fixture.h — writes valid (random-weight) weights blobs for tests, per model/FORMAT.md.
 * Tests never depend on the trained model: they make their own fixtures with this. */
#ifndef QUELL_BLOB_FIXTURE_H
#define QUELL_BLOB_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "../dsp/quell.h"
#include "../dsp/quell_config.h"

/* Builds a blob for cfg with weights drawn from a fixed-seed generator (scaled so the network
 * behaves: gains vary, nothing saturates). Returns a malloc'ed buffer and its size, or NULL. */
unsigned char *quell_fixture_blob(const QuellConfig *cfg, uint32_t seed, size_t *size);

/* The same with input lag taps (`input.weight_lag{n}`, FORMAT.md): bit n of lag_mask asks for
 * the tap on frame t - n (n = 1..16); their weights are drawn like input.weight's, times
 * lag_scale. Mask 0 is quell_fixture_blob. */
unsigned char *quell_fixture_blob_lags(const QuellConfig *cfg, uint32_t seed, uint32_t lag_mask,
                                       float lag_scale, size_t *size);

/* A loaded model from a default-configuration fixture blob. Test helper: on failure it prints
 * why and exits(1), so callers need no error path. Free with quell_model_free. */
QuellModel *quell_fixture_model(uint32_t seed);

/* Recomputes the trailing CRC after a test has edited the bytes on purpose. */
void quell_fixture_blob_fix_crc(unsigned char *blob, size_t size);

/* Writes buffer to path; 0 on success. */
int quell_fixture_write(const char *path, const unsigned char *data, size_t size);

#endif
