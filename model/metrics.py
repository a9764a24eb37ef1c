"""Intrusive speech-quality metrics for `make eval`: SI-SDR and STOI, in numpy.

- si_sdr(clean, test): scale-invariant signal-to-distortion ratio in dB (Le Roux et al., "SDR -
  half-baked or well done?", ICASSP 2019), both signals mean-removed first.
- stoi(clean, test, rate): short-time objective intelligibility (Taal, Hendriks, Heusdens, Jensen,
  "An algorithm for intelligibility prediction of time-frequency weighted noisy speech", IEEE TASLP
  2011). Constants are the paper's: 10 kHz, 256-sample Hann frames with 50 % overlap and a 512-point
  FFT, 15 one-third-octave bands from 150 Hz, 30-frame (384 ms) segments, clipping at beta = -15 dB,
  silent frames (40 dB below the loudest clean frame) removed first.

Both take 1-D float arrays at the same rate and use the shorter length. Checked against the
reference meter ../shared/meters/meter.py by tests/test_metrics_reference.py.
"""
from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

EPS = np.finfo(np.float64).eps

STOI_RATE = 10000        # Hz, the rate the measure is defined at
STOI_FRAME = 256         # samples (25.6 ms at 10 kHz)
STOI_HOP = STOI_FRAME // 2
STOI_FFT = 512
STOI_BANDS = 15
STOI_LOWEST_CENTRE = 150.0   # Hz, centre of the first one-third-octave band
STOI_SEGMENT = 30        # frames: 30 * 12.8 ms = 384 ms, the paper's analysis length
STOI_BETA_DB = -15.0     # lower bound on the signal-to-distortion ratio per unit
STOI_DYNAMIC_RANGE_DB = 40.0


def resample(x, rate_in, rate_out):
    """Polyphase resampling (scipy's Kaiser-windowed FIR) from rate_in to rate_out Hz."""
    if rate_in == rate_out:
        return np.asarray(x, dtype=np.float64)
    ratio = Fraction(int(rate_out), int(rate_in)).limit_denominator(1000)
    return resample_poly(np.asarray(x, dtype=np.float64), ratio.numerator, ratio.denominator)


def _same_length(a, b):
    n = min(len(a), len(b))
    return np.asarray(a[:n], dtype=np.float64), np.asarray(b[:n], dtype=np.float64)


def si_sdr(clean, test):
    """Scale-invariant SDR in dB of `test` against `clean`: 10 log10 |a s|^2 / |a s - t|^2 with
    a = <t, s> / <s, s> the optimal scaling of the mean-removed reference s."""
    s, t = _same_length(clean, test)
    s = s - s.mean()
    t = t - t.mean()
    scale = np.dot(t, s) / (np.dot(s, s) + EPS)
    target = scale * s
    residual = t - target
    return float(10.0 * np.log10((np.dot(target, target) + EPS) / (np.dot(residual, residual) + EPS)))


def _stoi_window():
    # MATLAB's hanning(N), as Taal's code uses: a symmetric Hann of N+2 points without its zero ends.
    return np.hanning(STOI_FRAME + 2)[1:-1]


def _framed(x):
    """Every full STOI frame of x (hop STOI_HOP) as rows of a (frames, STOI_FRAME) view. Like pystoi
    and the reference meter this includes a last frame ending exactly at len(x), which Taal's MATLAB
    loop (1:K:length(x)-N) leaves out; the difference is one frame per signal."""
    if len(x) < STOI_FRAME:
        return np.zeros((0, STOI_FRAME))
    return np.lib.stride_tricks.sliding_window_view(x, STOI_FRAME)[::STOI_HOP]


def _drop_silent_frames(clean, test):
    """Windowed frames whose clean energy is within STOI_DYNAMIC_RANGE_DB of the loudest are kept
    and overlap-added back into two signals (Taal's removeSilentFrames)."""
    window = _stoi_window()
    clean_frames = _framed(clean) * window
    test_frames = _framed(test) * window
    level_db = 20.0 * np.log10(np.linalg.norm(clean_frames, axis=1) + EPS)
    keep = level_db > level_db.max() - STOI_DYNAMIC_RANGE_DB
    clean_frames, test_frames = clean_frames[keep], test_frames[keep]
    kept = clean_frames.shape[0]
    length = (kept - 1) * STOI_HOP + STOI_FRAME if kept else 0
    clean_out = np.zeros(length)
    test_out = np.zeros(length)
    # Frames overlap by exactly half, so the even-indexed and odd-indexed frames each tile
    # without overlap and can be added as two reshaped blocks.
    for parity in (0, 1):
        rows = np.arange(parity, kept, 2)
        if rows.size == 0:
            continue
        start = parity * STOI_HOP
        span = rows.size * STOI_FRAME
        clean_out[start:start + span] += clean_frames[rows].reshape(-1)
        test_out[start:start + span] += test_frames[rows].reshape(-1)
    return clean_out, test_out


def _third_octave_bands():
    """(STOI_BANDS, STOI_FFT/2+1) 0/1 matrix summing FFT bins into one-third-octave bands; band
    edges are the centres times 2^(+-1/6), each snapped to the nearest bin (upper edge exclusive)."""
    bin_hz = np.arange(STOI_FFT // 2 + 1) * STOI_RATE / STOI_FFT
    k = np.arange(STOI_BANDS)
    low_hz = STOI_LOWEST_CENTRE * 2.0 ** ((2 * k - 1) / 6.0)
    high_hz = STOI_LOWEST_CENTRE * 2.0 ** ((2 * k + 1) / 6.0)
    bands = np.zeros((STOI_BANDS, bin_hz.size))
    for b in range(STOI_BANDS):
        lo = int(np.argmin(np.abs(bin_hz - low_hz[b])))
        hi = int(np.argmin(np.abs(bin_hz - high_hz[b])))
        bands[b, lo:hi] = 1.0
    return bands


def _band_envelopes(x, bands):
    """One-third-octave band magnitudes, (STOI_BANDS, frames)."""
    spectrum = np.fft.rfft(_framed(x) * _stoi_window(), n=STOI_FFT, axis=1)
    return np.sqrt(bands @ (np.abs(spectrum) ** 2).T)


def stoi(clean, test, rate):
    """STOI of `test` against `clean` (both at `rate` Hz), in [-1, 1] (near 1 = intelligible as the
    clean). NaN when less than one 384 ms segment of non-silent speech remains."""
    clean, test = _same_length(clean, test)
    clean = resample(clean, rate, STOI_RATE)
    test = resample(test, rate, STOI_RATE)
    clean, test = _same_length(clean, test)
    clean, test = _drop_silent_frames(clean, test)
    bands = _third_octave_bands()
    clean_env = _band_envelopes(clean, bands)
    test_env = _band_envelopes(test, bands)
    if clean_env.shape[1] < STOI_SEGMENT:
        return float('nan')
    # (bands, segments, STOI_SEGMENT) views of every 30-frame segment, hop one frame.
    clean_seg = np.lib.stride_tricks.sliding_window_view(clean_env, STOI_SEGMENT, axis=1)
    test_seg = np.lib.stride_tricks.sliding_window_view(test_env, STOI_SEGMENT, axis=1)
    # Normalise the test envelope to the clean one's energy, then clip it so one unit can lower
    # the score by at most what a -15 dB SDR would.
    gain = np.linalg.norm(clean_seg, axis=2, keepdims=True) / (
        np.linalg.norm(test_seg, axis=2, keepdims=True) + EPS)
    clip = 1.0 + 10.0 ** (-STOI_BETA_DB / 20.0)
    test_seg = np.minimum(test_seg * gain, clean_seg * clip)
    clean_c = clean_seg - clean_seg.mean(axis=2, keepdims=True)
    test_c = test_seg - test_seg.mean(axis=2, keepdims=True)
    correlation = np.sum(clean_c * test_c, axis=2) / (
        np.linalg.norm(clean_c, axis=2) * np.linalg.norm(test_c, axis=2) + EPS)
    return float(correlation.mean())
