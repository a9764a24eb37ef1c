#!/bin/sh
# The speexdsp baseline processor (build/host-test/speex_denoise): output as long as the input and
# sample-aligned with it, at 8, 16 and 48 kHz, with 10 and 20 ms frames, odd lengths and stereo; the
# uncompensated output is exactly one frame late (the delay the compensation removes).
BUILD=${BUILD:-build}
SPEEX_DENOISE=$BUILD/host-test/speex_denoise
PYTHON=${PYTHON:-/usr/bin/python3}
if [ ! -x "$SPEEX_DENOISE" ]; then
  echo "$SPEEX_DENOISE is not built (make $SPEEX_DENOISE)"
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON" - "$SPEEX_DENOISE" "$work" <<'PY'
import subprocess
import sys

import numpy as np
import soundfile as sf

speex, work = sys.argv[1], sys.argv[2]
failures = []


def test_signal(rate, frames, channels, seed):
    """Noise bursts with pauses: broadband, so the cross-correlation has one sharp peak, and
    loud enough that the suppressor keeps most of it."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / rate
    gate = (np.sin(2 * np.pi * 3 * t) > 0).astype(float)
    x = 0.2 * rng.standard_normal((frames, channels)) * gate[:, None]
    return x if channels > 1 else x[:, 0]


def lag_of(reference, test, max_lag):
    n = min(len(reference), len(test))
    corr = np.correlate(test[:n], reference[:n], mode='full')[n - 1 - max_lag:n + max_lag]
    return int(np.argmax(corr)) - max_lag


def run(args):
    proc = subprocess.run([speex] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc.returncode, proc.stderr


cases = [(8000, 20, 16001, 1), (16000, 20, 32000, 1), (16000, 10, 12345, 1), (48000, 20, 48000 + 7, 1),
         (48000, 10, 30000, 2)]
for rate, frame_ms, frames, channels in cases:
    x = test_signal(rate, frames, channels, rate + frames)
    src, dst, raw = (f'{work}/in.wav', f'{work}/out.wav', f'{work}/raw.flac')
    sf.write(src, x, rate, subtype='PCM_16')
    x, _ = sf.read(src, always_2d=True)
    rc1, err1 = run(['--frame-ms', str(frame_ms), src, dst])
    rc2, err2 = run(['--frame-ms', str(frame_ms), '--no-compensate', src, raw])
    label = f'{rate} Hz, {frame_ms} ms frames, {frames} frames x {channels} ch'
    if rc1 or rc2:
        failures.append(label)
        print(f'FAIL  {label}: exit {rc1}/{rc2}: {err1.strip()} {err2.strip()}')
        continue
    y, out_rate = sf.read(dst, always_2d=True)
    z, _ = sf.read(raw, always_2d=True)
    frame = rate * frame_ms // 1000
    max_lag = 3 * frame
    lags = [lag_of(x[:, c], y[:, c], max_lag) for c in range(channels)]
    raw_lags = [lag_of(x[:, c], z[:, c], max_lag) for c in range(channels)]
    ok = (out_rate == rate and y.shape == x.shape and z.shape == x.shape and all(v == 0 for v in lags)
          and all(v == frame for v in raw_lags) and np.all(np.isfinite(y)))
    print(f"{'ok  ' if ok else 'FAIL'}  {label}: shape {y.shape} (input {x.shape}), lag {lags} "
          f'(uncompensated {raw_lags}, one frame = {frame})')
    if not ok:
        failures.append(label)

# Command-line faults: one line on stderr and a non-zero exit, never a crash.
for args, what in ((['/nonexistent.wav', f'{work}/x.wav'], 'missing input'),
                   (['--frame-ms', '7', f'{work}/in.wav', f'{work}/x.wav'], 'bad frame length'),
                   ([f'{work}/in.wav'], 'missing output argument'),
                   ([f'{work}/in.wav', '/nonexistent/dir/x.wav'], 'unwritable output')):
    rc, err = run(args)
    ok = rc > 0 and err.strip() != ''
    print(f"{'ok  ' if ok else 'FAIL'}  {what}: exit {rc}, '{err.strip().splitlines()[-1] if err.strip() else ''}'")
    if not ok:
        failures.append(what)

print(f'{len(failures)} failed' if failures else 'all passed')
sys.exit(1 if failures else 0)
PY
exit $?
