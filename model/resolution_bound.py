"""resolution_bound.py — what finer-than-band gains could be worth on dev/mix48, with exact gains.

The oracle rows of `make eval` filter the noisy input with the exact band gains through the
engine's own filterbank: the most a perfect estimator of Quell's band gains could reach. This
asks the next question — would per-bin gains (a finer mask) or deep filtering on the low bins
(DeepFilterNet's remedy for the noise between harmonics) raise that bound? — by giving each
variant its exact answer, computed from the clean file:

  band           the Wiener band gain E_clean / E_noisy of each of the blob's bands, spread back
                 to the bins with the engine's triangular weights (this script's own STFT: the
                 calibration row against `make eval`'s engine-filterbank `wiener` row)
  bin            the per-bin Wiener gain |S|^2 / (|S|^2 + |N|^2) on every bin
  binlow:F       per-bin Wiener gains below F Hz, band gains above
  exactlow:F     the clean spectrum itself below F Hz (magnitude and phase: the ceiling of any
                 complex filter on those bins, deep filtering included), band gains above

STFT: periodic sqrt-Hann window of 20 ms, hop 5 ms (the engine's frame timing, but a symmetric
window: a bound, not the engine's causal analysis). Scores: STOI, SI-SDR and DNSMOS P.835 with
the meters `make eval` uses, means over all items and OVRL by input SNR.

    /usr/bin/python3 model/resolution_bound.py [--blob model/quell.qwb] [--limit N] \
        band bin binlow:2000 exactlow:1000 exactlow:2000
"""
import argparse
import os
import sys

import numpy as np
from scipy.signal import istft, stft

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dnsmos  # noqa: E402
import eval as quell_eval  # noqa: E402  (the dev/mix48 item list and reader make eval uses)
import metrics  # noqa: E402
import quell_dsp  # noqa: E402


def band_weights(centres, freqs):
    """[nb, bins] weights of each band on each bin, as dsp/quell_bands.c spreads band gains:
    linear between adjacent centres, the top band's gain flat above its centre. The same weights
    pool the bin energies into band energies (the engine's top band also falls off above its
    centre for energies; the top centre is 20 kHz, above what DNSMOS hears at 16 kHz)."""
    nb = len(centres)
    w = np.zeros((nb, len(freqs)))
    lower = np.clip(np.searchsorted(centres, freqs, side='right') - 1, 0, nb - 1)
    for k, (f, b) in enumerate(zip(freqs, lower)):
        if b + 1 < nb:
            a = (centres[b + 1] - f) / (centres[b + 1] - centres[b])
            w[b, k], w[b + 1, k] = a, 1.0 - a
        else:
            w[b, k] = 1.0
    return w


def enhance(variant, noisy, clean, rate, centres):
    n = int(round(0.02 * rate))
    hop = n // 4
    win = np.sqrt(np.hanning(n + 1)[:n])
    kw = dict(fs=rate, window=win, nperseg=n, noverlap=n - hop, boundary=None, padded=True)
    freqs, _, X = stft(noisy, **kw)
    _, _, S = stft(clean, **kw)
    ps, pn, px = np.abs(S) ** 2, np.abs(X - S) ** 2, np.abs(X) ** 2
    w = band_weights(centres, freqs)
    g_band = np.clip((w @ ps) / np.maximum(w @ px, 1e-20), 0.0, 1.0)
    g_spread = np.clip(w.T @ g_band, 0.0, 1.0)
    g_bin = ps / np.maximum(ps + pn, 1e-20)
    name, _, arg = variant.partition(':')
    low = (freqs < float(arg))[:, None] if arg else None
    if name == 'band':
        Y = g_spread * X
    elif name == 'bin':
        Y = g_bin * X
    elif name == 'binlow':
        Y = np.where(low, g_bin, g_spread) * X
    elif name == 'exactlow':
        Y = np.where(low, S, g_spread * X)
    else:
        raise SystemExit(f'unknown variant {variant!r}')
    _, y = istft(Y, fs=rate, window=win, nperseg=n, noverlap=n - hop, boundary=None)
    y = y[:len(noisy)]
    return np.pad(y, (0, len(noisy) - len(y)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--blob', default=os.path.join(HERE, 'quell.qwb'),
                    help='the band layout is this blob\'s')
    ap.add_argument('--shared', default=os.environ.get('QUELL_SHARED',
                                                       os.path.join(HERE, '..', '..', 'shared')))
    ap.add_argument('--limit', type=int, default=0, help='evenly spread subset of the items')
    ap.add_argument('variants', nargs='+')
    a = ap.parse_args()
    items = quell_eval.mix48_items(a.shared)
    if a.limit:
        items = quell_eval.evenly_spaced(items, a.limit)
    if not items:
        raise SystemExit(f'no dev/mix48 items under {a.shared}/data/dev/mix48')
    centres = quell_dsp.band_centres(quell_dsp.Model.load(a.blob).config()).astype(np.float64)
    snrs = np.array([it.snr if it.snr is not None else np.nan for it in items], np.float64)
    levels = sorted(set(snrs[np.isfinite(snrs)]))
    print(f'dev/mix48, {len(items)} items; OVRL by SNR ' + ' / '.join(f'{s:g}' for s in levels) + ' dB')
    print('| variant | STOI | SI-SDR dB | OVRL | SIG | BAK | OVRL by SNR |')
    print('|---|---|---|---|---|---|---|')
    for variant in a.variants:
        outs, st, sd = [], [], []
        for it in items:
            clean, rate = quell_eval.read_mono(it.clean)
            noisy, _ = quell_eval.read_mono(it.noisy)
            y = enhance(variant, noisy.astype(np.float64), clean.astype(np.float64), rate, centres)
            outs.append((y, rate))
            st.append(metrics.stoi(clean, y, rate))
            sd.append(metrics.si_sdr(clean, y))
        d = dnsmos.score_signals(outs, jobs=2)
        ovrl = np.array([r['OVRL'] for r in d])
        by = ' / '.join(f'{ovrl[snrs == s].mean():.2f}' for s in levels)
        print(f'| {variant} | {np.mean(st):.3f} | {np.mean(sd):.2f} | {ovrl.mean():.3f} | '
              f'{np.mean([r["SIG"] for r in d]):.2f} | {np.mean([r["BAK"] for r in d]):.2f} | {by} |',
              flush=True)


if __name__ == '__main__':
    import warnings
    warnings.filterwarnings('ignore', message='NOLA condition failed')  # edges only: boundary=None
    main()
