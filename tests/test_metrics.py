#!/usr/bin/python3
"""Known-value tests of model/metrics.py (SI-SDR, STOI) and of model/dnsmos.py's input processing.
Synthetic signals only, so it runs without ../shared."""
import os
import sys

try:
    import numpy as np
    import soundfile as sf  # noqa: F401
    import scipy  # noqa: F401
except ImportError as err:
    print(f'skipped: {err.name} is not installed (Debian python3-numpy python3-scipy python3-soundfile)')
    sys.exit(77)


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'model'))
import dnsmos  # noqa: E402
import metrics  # noqa: E402

failures = []


def check(condition, what):
    print(('ok    ' if condition else 'FAIL  ') + what)
    if not condition:
        failures.append(what)


def speech_like(rate, seconds=3.0, seed=1):
    """Voiced 'syllables': harmonics of a gliding 110-190 Hz pitch under a 4 Hz envelope with
    pauses, plus a little noise so no band is exactly empty."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    f0 = 150 + 40 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 30) if k * 190 < rate / 2)
    envelope = np.clip(np.sin(2 * np.pi * 2 * t), 0, None) ** 2 * (np.sin(2 * np.pi * 0.3 * t) > -0.6)
    return 0.3 * voiced * envelope + 1e-4 * rng.standard_normal(t.size)


def with_noise(clean, snr_db, seed=2):
    noise = np.random.default_rng(seed).standard_normal(clean.size)
    noise *= np.sqrt(np.sum(clean ** 2) / np.sum(noise ** 2) / 10 ** (snr_db / 10))
    return clean + noise


rate = 16000
clean = speech_like(rate)

# SI-SDR: exact values from a residual orthogonal to the (mean-removed) reference.
check(metrics.si_sdr(clean, clean) > 100, f'si_sdr(x, x) = {metrics.si_sdr(clean, clean):.1f} dB is large')
check(metrics.si_sdr(clean, 0.3 * clean) > 100, 'si_sdr ignores the scale of the estimate')
s = clean - clean.mean()
e = np.random.default_rng(3).standard_normal(clean.size)
e -= e.mean()
e -= np.dot(e, s) / np.dot(s, s) * s
e *= np.sqrt(0.25 * np.dot(s, s) / 10 / np.dot(e, e))  # |e|^2 = |0.5 s|^2 / 10 -> exactly 10 dB
value = metrics.si_sdr(clean, 0.5 * clean + e)
check(abs(value - 10.0) < 1e-6, f'si_sdr with an orthogonal residual 10 dB below the scaled target: {value:.9f}')
value = metrics.si_sdr(clean, 0.5 * clean + e + 0.2)
check(abs(value - 10.0) < 1e-6, 'si_sdr removes the means (a DC offset changes nothing)')
check(metrics.si_sdr(clean, -clean) > 100, 'si_sdr of a polarity-inverted copy is large (scale -1)')
check(metrics.si_sdr(clean, e) < -50, 'si_sdr of a residual orthogonal to the reference is very low')

# STOI: identity, scale invariance, ordering with SNR, rate independence, short input.
value = metrics.stoi(clean, clean, rate)
check(abs(value - 1.0) < 1e-9, f'stoi(x, x) = {value:.12f} is 1')
check(abs(metrics.stoi(clean, 4.0 * clean, rate) - 1.0) < 1e-9, 'stoi ignores the level of the test signal')
scores = [metrics.stoi(clean, with_noise(clean, snr), rate) for snr in (-10, -5, 0, 5, 10, 20)]
print('      stoi at -10..20 dB SNR: ' + ', '.join(f'{v:.3f}' for v in scores))
check(all(a < b for a, b in zip(scores, scores[1:])), 'stoi rises with the SNR')
check(scores[0] < 0.75 and scores[-1] > 0.99, 'stoi is low at -10 dB and near 1 at 20 dB')
noise_only = np.random.default_rng(4).standard_normal(clean.size)
value = metrics.stoi(clean, noise_only, rate)
# Not 0: clipping at -15 dB SDR makes the clipped noise envelope follow the clean one a little.
check(value < 0.5 and value < scores[0], f'stoi of unrelated noise is below that of any noisy speech ({value:.3f})')
late = np.concatenate([np.zeros(int(0.02 * rate)), clean])[:clean.size]
check(metrics.stoi(clean, late, rate) < scores[-1], 'stoi falls when the test is 20 ms late')
clean48 = metrics.resample(clean, rate, 48000)
noisy = with_noise(clean, 0)
value16 = metrics.stoi(clean, noisy, rate)
value48 = metrics.stoi(clean48, metrics.resample(noisy, rate, 48000), 48000)
check(abs(value16 - value48) < 0.01, f'stoi at 16 and 48 kHz agree ({value16:.4f} vs {value48:.4f})')
check(np.isnan(metrics.stoi(clean[:3000], clean[:3000], rate)), 'stoi of less than one 384 ms segment is NaN')

# DNSMOS input processing (the ONNX part is checked against the reference meter elsewhere).
check(len(dnsmos.windows_of(np.zeros(4 * 16000) + 0.1)) == 7,
      'a 4 s clip is doubled to 16 s: 7 windows of 9.01 s with a 1 s hop')
check(len(dnsmos.windows_of(np.ones(int(9.01 * 16000)))) == 1, 'a 9.01 s clip is one window')
# The original dnsmos_local.py cuts window i at int((i + 9.01) * 16000), which floating point makes
# one sample short for i >= 8; such windows are skipped there, so they must be here too.
check(dnsmos.windows_of(np.ones(20 * 16000)).shape == (7, 144160),
      '20 s: windows 8..10 come out one sample short and are skipped, as in dnsmos_local.py')
check(len(dnsmos.to_16k(np.ones(48001), 48000)) == 16001, 'resampling to 16 kHz keeps ceil(n/3) samples')
check(abs(dnsmos.OVRL_POLY(3.0) - (-0.06766283 * 9 + 1.11546468 * 3 + 0.04602535)) < 1e-12,
      'OVRL polynomial as published')

# make eval's grouped tables (model/eval.py): per-group means, and the split of dev/'s noise
# recordings into other people's voices and the rest.
import eval as quell_eval  # noqa: E402
items = [quell_eval.Item(f'i{n}', None, None, 48000, snr, noise) for n, (snr, noise) in
         enumerate([(-5, 'background_samples-cafe'), (-5, 'playground'), (0, 'background_samples-fridge'),
                    (20, 'synth-white'), (0, None)])]
fake = {'quell': [dict(stoi=0.5 + 0.1 * n, si_sdr=float(n), OVRL=1.0 + n) for n in range(5)]}
groups = [quell_eval.voice_interferer_group(item) for item in items]
check(groups == ['other voices', 'other voices', 'other noise', 'other noise', None],
      f'cafe and playground are voices, fridge and white noise are not, no name no group ({groups})')
rows = quell_eval.grouped_lines(items, fake, ['quell', 'clean'], quell_eval.voice_interferer_group, 'interferer')
check(rows[2:] == ['| other noise | 2 | 0.750 / 2.50 / 3.50 |', '| other voices | 2 | 0.550 / 0.50 / 1.50 |'],
      f'voice split: means over the group, no column for the clean reference ({rows[2:]})')
rows = quell_eval.grouped_lines(items, fake, ['quell'], lambda item: item.snr, 'SNR dB')
check([row.split(' | ')[:2] for row in rows[2:]] == [['| -5', '2'], ['| 0', '2'], ['| 20', '1']],
      f'SNR rows in ascending order with their counts ({rows[2:]})')

# A 48 kHz set laid out like dev/wild48 (clean/ and noisy/ FLAC pairs, meta.json naming each item's
# noise class and SNR): paired_items takes class and SNR from meta.json, and the per-class and
# per-SNR tables (the same grouped_lines as mix48's and noizeus') average over the right items.
import json  # noqa: E402
import tempfile  # noqa: E402
with tempfile.TemporaryDirectory() as shared:
    root = os.path.join(shared, 'data', 'dev', 'wild48')
    meta = [dict(name='w000', noise='dog_bark', snr=-5), dict(name='w001', noise='siren', snr=20),
            dict(name='w002', noise='dog_bark', snr=5), dict(name='w003', noise='gun_shot', snr=-5),
            dict(name='w004', noise='dog_bark', snr=0)]
    for kind in ('clean', 'noisy'):
        os.makedirs(os.path.join(root, kind))
        for m in meta:
            sf.write(os.path.join(root, kind, m['name'] + '.flac'), np.zeros(480), 48000)
    sf.write(os.path.join(root, 'noisy', 'w999.flac'), np.zeros(480), 48000)  # no clean pair: left out
    with open(os.path.join(root, 'meta.json'), 'w') as f:
        json.dump(meta, f)
    items = quell_eval.paired_items(shared, 'wild48')
check([(i.name, i.noise, i.snr, i.rate) for i in items] == [(m['name'], m['noise'], m['snr'], 48000) for m in meta],
      'paired_items: wild48 pairs in name order, noise class and SNR from meta.json, unpaired files left out')
fake = {'quell': [dict(stoi=0.5 + 0.1 * n, si_sdr=float(n), OVRL=1.0 + n) for n in range(5)],
        'rnnoise01': [dict(stoi=0.9, si_sdr=10.0 + n, OVRL=3.0) for n in range(5)]}
rows = quell_eval.grouped_lines(items, fake, ['quell', 'rnnoise01', 'clean'], lambda item: item.noise, 'noise')
check(rows[2:] == ['| dog_bark | 3 | 0.700 / 2.00 / 3.00 | 0.900 / 12.00 / 3.00 |',
                   '| gun_shot | 1 | 0.800 / 3.00 / 4.00 | 0.900 / 13.00 / 3.00 |',
                   '| siren | 1 | 0.600 / 1.00 / 2.00 | 0.900 / 11.00 / 3.00 |'],
      f'per-class rows: means over each class, one column per system ({rows[2:]})')
rows = quell_eval.grouped_lines(items, fake, ['quell'], lambda item: item.snr, 'SNR dB')
check(rows[2:] == ['| -5 | 2 | 0.650 / 1.50 / 2.50 |', '| 0 | 1 | 0.900 / 4.00 / 5.00 |',
                   '| 5 | 1 | 0.700 / 2.00 / 3.00 |', '| 20 | 1 | 0.600 / 1.00 / 2.00 |'],
      f'per-SNR rows: numeric order, means over each SNR ({rows[2:]})')
# Quell against the peer on the four meters: a row for all items, per-class rows naming where
# Quell is strictly ahead, and the count of classes ahead on all four.
fake['quell'] = [dict(stoi=0.8, si_sdr=12.0 + n, OVRL=3.1, BAK=3.5 - (n == 1)) for n in range(5)]
fake['rnnoise01'] = [dict(stoi=0.8 if n == 3 else 0.7, si_sdr=10.0, OVRL=3.0, BAK=3.0) for n in range(5)]
rows = quell_eval.versus_lines(items, fake, 'quell', 'rnnoise01', lambda item: item.noise, 'noise')
check(rows[2] == '| all | 5 | 0.800 / 14.00 / 3.10 / 3.30 | 0.720 / 10.00 / 3.00 / 3.00 | all four |'
      and rows[3] == '| dog_bark | 3 | 0.800 / 14.00 / 3.10 / 3.50 | 0.700 / 10.00 / 3.00 / 3.00 | all four |'
      and rows[4] == '| gun_shot | 1 | 0.800 / 15.00 / 3.10 / 3.50 | 0.800 / 10.00 / 3.00 / 3.00 | SI-SDR, OVRL, BAK |'
      and rows[5] == '| siren | 1 | 0.800 / 13.00 / 3.10 / 2.50 | 0.700 / 10.00 / 3.00 / 3.00 | STOI, SI-SDR, OVRL |'
      and rows[-1] == 'Ahead on all four in 1 of 3 groups: dog_bark.',
      f'versus rows: means, strict wins named, classes counted ({rows})')
check(quell_eval.versus_lines(items, {'quell': fake['quell']}, 'quell', 'rnnoise01',
                              lambda item: item.noise, 'noise') == [], 'versus: nothing without the peer')
picks = [i.name for i in quell_eval.pick_transient_items(items, ('dog_bark', 'gun_shot', 'jackhammer'))]
check(picks == ['w002', 'w003'], f'spectrogram picks: one item per transient class present, SNR nearest 5 dB ({picks})')

print(f'{len(failures)} failed' if failures else 'all passed')
sys.exit(1 if failures else 0)
