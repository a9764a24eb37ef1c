#!/usr/bin/python3
"""model/train.py's band-envelope correlation term (STOI's measure in Quell's band domain):
zero for a perfect or merely rescaled prediction (STOI is level-invariant), near one for an
unrelated one, blind to masked bands and unvoiced segments, finite gradients. Skips (77)
without python3-torch (the training stack is not needed to build or test)."""
import os
import sys

try:
    import numpy  # noqa: F401
    import torch
except ImportError as err:
    print(f'skipped: {err.name} is not installed (Debian python3-torch python3-numpy)')
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'model'))
import train  # noqa: E402

torch.manual_seed(0)
B, T, NB = 2, 250, 8
failures = []


def check(name, ok, detail=''):
    print(('ok   ' if ok else 'FAIL ') + name + (f': {detail}' if detail else ''))
    if not ok:
        failures.append(name)


# Noisy band log-energies (features 0..NB-1), a syllable-rate clean envelope as the target gain.
x = torch.cat([torch.full((B, T, NB), -3.0) + 0.1 * torch.randn(B, T, NB),
               torch.zeros(B, T, NB)], dim=-1)
t = torch.arange(T, dtype=torch.float32)
g = (0.55 + 0.45 * torch.sin(2 * torch.pi * t / 40.0)).view(1, T, 1).expand(B, T, NB).clone()
v = torch.ones(B, T)
m = torch.ones(B, T, NB)
bands = torch.ones(NB, dtype=torch.bool)

loss = train.envelope_corr_loss
perfect = float(loss(g, g, x, v, m, bands))
check('perfect prediction costs nothing', perfect < 5e-3, f'{perfect:.2e}')
scaled = float(loss(0.5 * g, g, x, v, m, bands))
check('a level change costs nothing (STOI is level-invariant)', scaled < 5e-3, f'{scaled:.2e}')
rand = torch.rand(B, T, NB)
unrelated = float(loss(rand, g, x, v, m, bands))
check('an unrelated prediction costs about 1', 0.7 < unrelated < 1.3, f'{unrelated:.3f}')
flat = float(loss(torch.full_like(g, 0.7), g, x, v, m, bands))
check('a flat gain (no envelope) scores far worse', flat > 0.3, f'{flat:.3f}')
silent = float(loss(rand, g, x, torch.zeros(B, T), m, bands))
check('unvoiced segments are ignored', silent == 0.0, f'{silent}')
masked = float(loss(rand, g, x, v, torch.zeros(B, T, NB), bands))
check('masked bands are ignored', masked == 0.0, f'{masked}')
only = torch.zeros(NB, dtype=torch.bool)
only[:2] = True
half = rand.clone()
half[..., :2] = g[..., :2]
partial = float(loss(half, g, x, v, m, only))
check('only the selected bands count', partial < 5e-3, f'{partial:.2e}')

gp = torch.rand(B, T, NB, requires_grad=True)
full, _, _ = train.loss_fn(gp, torch.full((B, T), 0.5), g, v, x, spec_weight=2.0, stoi_weight=1.0,
                           stoi_bands=bands)
full.backward()
check('gradients are finite', bool(torch.isfinite(gp.grad).all()))
base, _, _ = train.loss_fn(gp.detach(), torch.full((B, T), 0.5), g, v, x, spec_weight=2.0)
check('the term adds to the loss', float(full) > float(base) + 0.1,
      f'{float(full):.3f} vs {float(base):.3f}')

# --target-power: the gain terms aim at g ** P (2: the Wiener gain E_clean / E_noisy) while the
# cache keeps the amplitude ratio g; the envelope term still compares with the clean envelope.
vp = torch.full((B, T), 0.5)
gm = g.clone()
gm[:, :10, :3] = -1.0  # masked entries stay masked: (-1) ** 2 must not turn into a target of 1
_, lw, _ = train.loss_fn(gm.clamp(min=0) ** 2, vp, gm, v, x, spec_weight=2.0, target_power=2.0)
_, lr_, _ = train.loss_fn(gm.clamp(min=0), vp, gm, v, x, spec_weight=2.0, target_power=2.0)
check('target power 2: the Wiener gain g^2 costs nothing', float(lw) < 1e-6, f'{float(lw):.2e}')
check('target power 2: the amplitude ratio g now costs', float(lr_) > 1e-3, f'{float(lr_):.2e}')
_, ld, _ = train.loss_fn(gm.clamp(min=0), vp, gm, v, x, spec_weight=2.0)
check('target power 1 (default) is the amplitude ratio', float(ld) < 1e-6, f'{float(ld):.2e}')
env_w = float(train.loss_fn(g ** 2, vp, g, v, x, stoi_weight=1.0, stoi_bands=bands, target_power=2.0)[1]
              - train.loss_fn(g ** 2, vp, g, v, x, target_power=2.0)[1])
env_r = float(train.loss_fn(g, vp, g, v, x, stoi_weight=1.0, stoi_bands=bands, target_power=2.0)[1]
              - train.loss_fn(g, vp, g, v, x, target_power=2.0)[1])
check('the envelope term keeps the clean envelope as its reference', env_r < 5e-3 and env_w >= env_r,
      f'ratio {env_r:.2e}, Wiener {env_w:.2e}')

if failures:
    print(f'{len(failures)} failed')
    sys.exit(1)
