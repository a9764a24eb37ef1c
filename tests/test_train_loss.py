#!/usr/bin/python3
"""model/train.py's loss terms. The band-envelope correlation term (STOI's measure in Quell's
band domain): zero for a perfect or merely rescaled prediction (STOI is level-invariant), near
one for an unrelated one, blind to masked bands and unvoiced segments, finite gradients. The
target power (the Wiener gain) and the band-domain SDR term (minimal at the Wiener gain, weighs
frames by energy, level-invariant), and the onset guard (a stronger speech guard in a clip's first
second). Skips (77) without python3-torch (the training stack is not
needed to build or test)."""
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

# --sdr-weight: the band-domain SDR (dB). Its minimum is the Wiener gain g^2 whatever the level;
# loud frames count by their energy (SI-SDR's weighting), masked bands not at all.
sdr = train.band_sdr_loss
at_w = float(sdr(g ** 2, g, x, m))
for name, other in (('the amplitude ratio g', g), ('all-pass', torch.ones_like(g)),
                    ('gains 10 % under Wiener', 0.9 * g ** 2), ('gains 10 % over', (1.1 * g ** 2).clamp(max=1))):
    val = float(sdr(other, g, x, m))
    check(f'band SDR: the Wiener gain beats {name}', at_w < val, f'{at_w:.2f} vs {val:.2f} dB')
ones = torch.ones_like(g)
best = float(sdr(ones, ones, x, m))  # all speech, passed untouched: no error at all
check('band SDR: a perfect result scores the floor (1e-3 of the noisy energy: -30 dB), not -inf',
      -30.1 < best < -29.9, f'{best:.2f} dB')
loud = x.clone()
loud[:, 100:150, :NB] += 2.0  # 20 dB louder stretch
miss = g ** 2
miss_quiet = miss.clone()
miss_quiet[:, :50] *= 0.5
miss_loud = miss.clone()
miss_loud[:, 100:150] *= 0.5
lq, ll = float(sdr(miss_quiet, g, loud, m)), float(sdr(miss_loud, g, loud, m))
check('band SDR: halving gains in a loud stretch costs more than in a quiet one', ll > lq + 1.0,
      f'loud {ll:.2f} dB, quiet {lq:.2f} dB')
mk = m.clone()
mk[..., :2] = 0
wild = g ** 2
wild = wild.clone()
wild[..., :2] = 0.0
check('band SDR: masked bands are ignored', abs(float(sdr(wild, g, x, mk)) - float(sdr(g ** 2, g, x, mk))) < 1e-4)
gz = (g ** 2).clone().requires_grad_(True)
dead = train.band_sdr_loss(gz, g, x, torch.zeros_like(m))  # a digitally silent clip: all masked
dead.backward()
check('band SDR: an all-masked clip is finite with no gradient', bool(torch.isfinite(dead))
      and bool(torch.isfinite(gz.grad).all()) and float(gz.grad.abs().max()) == 0.0, f'{float(dead)}')
lv_same = float(sdr(0.8 * g ** 2, g, x + 3.0, m)) - float(sdr(0.8 * g ** 2, g, x, m))
check('band SDR: level-invariant (a scaled clip scores the same)', abs(lv_same) < 1e-3, f'{lv_same:.2e}')
gs = (g ** 2).clone().requires_grad_(True)
tot, _, _ = train.loss_fn(gs, vp, g, v, x, sdr_weight=0.1, target_power=2.0)
tot.backward()
check('band SDR: gradients are finite and vanish at the Wiener gain', bool(torch.isfinite(gs.grad).all())
      and float(gs.grad.abs().max()) < 1e-5, f'{float(gs.grad.abs().max()):.2e}')
with_sdr = float(train.loss_fn(g, vp, g, v, x, sdr_weight=0.1)[1] - train.loss_fn(g, vp, g, v, x)[1])
check('band SDR: the term adds to the loss with its weight', abs(with_sdr - 0.1 * float(sdr(g, g, x, m))) < 1e-4,
      f'{with_sdr:.4f}')

# --onset-guard: the speech guard weighs more in a clip's first second(s) (the plugin starts cold).
# g repeats every 40 frames, so an error in frames 0-49 and the same error in frames 200-249 cost
# the same without it.
early, late = g.clone(), g.clone()
early[:, :50] *= 0.5
late[:, 200:250] *= 0.5


def band(gp, **kw):
    return float(train.loss_fn(gp, vp, g, v, x, speech_guard=4.0, guard_voiced=True, **kw)[1])


check('onset guard off: an early and a late miss cost the same', abs(band(early) - band(late)) < 1e-5,
      f'{band(early):.5f} vs {band(late):.5f}')
check('onset guard: speech turned down early costs more than late',
      band(early, onset_guard=2.0) > 1.5 * band(late, onset_guard=2.0),
      f'{band(early, onset_guard=2.0):.5f} vs {band(late, onset_guard=2.0):.5f}')
over = g.clone()
over[:, :50] = (over[:, :50] * 1.5).clamp(max=1.0)
check('onset guard: noise let through early costs no more than without it',
      abs(band(over, onset_guard=2.0) - band(over)) < 1e-6)
check("onset guard: a clip's last chunk (t0 = 750 frames) is guarded within 5 % of no onset guard",
      band(early) < band(early, onset_guard=2.0, t0=750) < 1.05 * band(early),
      f'{band(early, onset_guard=2.0, t0=750):.5f} vs {band(early):.5f}')
check('onset guard: zero weight is the default loss', band(early, onset_guard=0.0) == band(early))
f0 = train.onset_factor(0, 3, 2.0, 200)
check('onset factor: 1 + W at the first frame, decaying', abs(float(f0[0]) - 3.0) < 1e-6 and float(f0[2]) < float(f0[1]))

# --noise-guard: a gain above its target costs more in frames without voice activity, and
# nothing changes in voiced frames or where the gain is below the target.
gn = torch.full((B, T, NB), 0.2)
v_half = torch.cat([torch.ones(B, T // 2), torch.zeros(B, T - T // 2)], dim=1)
high = torch.full((B, T, NB), 0.6)
low = torch.full((B, T, NB), 0.05)
for name, pred in (('above', high), ('below', low)):
    base_n, _, _ = train.loss_fn(pred, vp, gn, v_half, x, spec_weight=2.0)
    guarded, _, _ = train.loss_fn(pred, vp, gn, v_half, x, spec_weight=2.0, noise_guard=3.0)
    if name == 'above':
        check('noise guard: a gain above target in pauses costs more', float(guarded) > float(base_n) * 1.5,
              f'{float(guarded):.4f} vs {float(base_n):.4f}')
    else:
        check('noise guard: a gain below target costs the same', abs(float(guarded) - float(base_n)) < 1e-7)
voiced_only, _, _ = train.loss_fn(high, vp, gn, torch.ones(B, T), x, spec_weight=2.0, noise_guard=3.0)
voiced_base, _, _ = train.loss_fn(high, vp, gn, torch.ones(B, T), x, spec_weight=2.0)
check('noise guard: voiced frames are not affected', abs(float(voiced_only) - float(voiced_base)) < 1e-7)

if failures:
    print(f'{len(failures)} failed')
    sys.exit(1)
