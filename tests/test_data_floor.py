#!/usr/bin/python3
"""model/data.py's remove_recording_floor: an utterance's own room tone leaves the training
target, its speech does not; a trimmed utterance (no pause to measure a floor in), a too-short
one and the gaps between utterances are left alone. Skips (77) without the training stack's
python3-numpy / python3-scipy / python3-soundfile (not needed to build or test)."""
import os
import sys

try:
    import numpy as np
    import scipy  # noqa: F401
    import soundfile  # noqa: F401
except ImportError as err:
    print(f'skipped: {err.name} is not installed (Debian python3-numpy python3-scipy python3-soundfile)')
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'model'))
import data  # noqa: E402

failures = []


def check(name, ok, detail=''):
    print(('ok   ' if ok else 'FAIL ') + name + (f': {detail}' if detail else ''))
    if not ok:
        failures.append(name)


rng = np.random.default_rng(0)
HOP, WH, T, NB = 240, 4, 1000, 8
# Utterance 1, samples [24000, 144000) = frames 100..600: speech at ~1.0 in every band with
# pauses (frames 300..360 and its first and last 30 frames) holding a steady floor ~40 dB down.
# Utterance 2, frames 700..900: trimmed, its quietest frames 15 dB under its loud ones.
e = np.zeros((T, NB), np.float32)
floor = 1e-4 * rng.exponential(1.0, (T, NB)).astype(np.float32)
u1 = np.arange(100, 600)
e[u1] = floor[u1]
speech1 = np.r_[130:300, 360:570]
e[speech1] += rng.uniform(0.5, 1.5, (len(speech1), NB)).astype(np.float32)
soft = np.arange(570, 575)  # a word's tail 20 dB over the floor
e[soft] += 0.01
u2 = np.arange(700, 900)
e[u2] = rng.uniform(0.5, 1.5, (len(u2), NB)).astype(np.float32)
e[700:730] = 0.03
e[650:660] = 1e-6  # reverberation tail between utterances: nobody's floor
utts = [(100 * HOP, 600 * HOP), (700 * HOP, 900 * HOP), (950 * HOP, 955 * HOP)]
e[952:954] = 2e-4  # a 5-frame scrap: too short to measure

out, changed = data.remove_recording_floor(e, utts, HOP, WH)
check('two measurable utterances, one changed (the trimmed one kept)', changed == 1, f'{changed}')
pause = np.r_[105:128, 305:355, 575:598]
kept_pause = out[pause].sum() / e[pause].sum()
check('the floor leaves the pauses', kept_pause < 0.3, f'{kept_pause:.3f} of their energy kept')
kept_speech = out[speech1].sum() / e[speech1].sum()
check('speech energy kept', kept_speech > 0.999, f'{kept_speech:.5f}')
kept_soft = out[soft].sum() / e[soft].sum()
check('soft speech 20 dB over the floor keeps itself', kept_soft > 0.97, f'{kept_soft:.4f}')
check('the trimmed utterance is untouched', np.array_equal(out[700:900], e[700:900]))
check('gaps and short scraps are untouched',
      np.array_equal(out[610:700], e[610:700]) and np.array_equal(out[940:], e[940:]))
check('energies stay non-negative and finite', bool(np.all(out >= 0) and np.all(np.isfinite(out))))
check('input not modified', float(e[pause].sum()) > 0 and out is not e)

if failures:
    print(f'{len(failures)} failed: {", ".join(failures)}')
    sys.exit(1)
print('all passed')
