/* quell_net.h — the gain estimator: normalisation, dense tanh, stacked GRUs, sigmoid heads.
 * Shapes come from the model's config; all state is allocated at create. */
#ifndef QUELL_NET_H
#define QUELL_NET_H

#include "quell_model.h"

typedef struct QuellNet QuellNet;

QuellNet *quell_net_create(const QuellModel *model);
void quell_net_destroy(QuellNet *net);
/* Zeroes the recurrent state. Audio class. */
void quell_net_reset(QuellNet *net);
/* One frame: features[nfeat] -> gains[nb_bands] in (0,1), *voice_prob in (0,1). Resets itself
 * if its state ever became non-finite, so one bad frame cannot poison the future. Audio class. */
void quell_net_step(QuellNet *net, const float *features, float *gains, float *voice_prob);

#endif
