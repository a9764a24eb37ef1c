#!/usr/bin/python3
"""model/rnnoise_denoise.cjs, the RNNoise peer of `make eval`: its output is aligned with its input
sample for sample (the peaks of a click train stay where they were, within +-1 sample, for RNNoise
0.1 and 0.2, at 48 kHz through the driver and at 16 kHz through model/eval.py's resampling path),
as long as the input, and the npm files are the models model/eval.mk says they are (the two 0.1
builds agree exactly, the 0.2 one does not; 0.1 is one 480-sample frame late, 0.2 two).
Skips (77) without node or without the npm packages in build/node (installed by `make eval`)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import soundfile as sf
    import scipy  # noqa: F401
except ImportError as err:
    print(f'skipped: {err.name} is not installed (Debian python3-numpy python3-scipy python3-soundfile)')
    sys.exit(77)

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
sys.path.insert(0, os.path.join(REPO, 'model'))
import dnsmos  # noqa: E402  (default_node_modules: where make eval installs the node packages)
import eval as quell_eval  # noqa: E402

NODE_MODULES = dnsmos.default_node_modules()
PACKAGES = ('@jitsi/rnnoise-wasm', '@echogarden/rnnoise-wasm')
if shutil.which('node') is None:
    print('skipped: node (Node.js) not found')
    sys.exit(77)
missing = [p for p in PACKAGES if not os.path.isfile(os.path.join(NODE_MODULES, p, 'package.json'))]
if missing:
    print(f'skipped: {", ".join(missing)} not installed in {os.path.normpath(NODE_MODULES)} (make eval installs them)')
    sys.exit(77)
os.environ['QUELL_NODE_MODULES'] = os.path.abspath(NODE_MODULES)

failures = []


def check(condition, what):
    print(('ok    ' if condition else 'FAIL  ') + what)
    if not condition:
        failures.append(what)


def driver(model, x, *options):
    proc = subprocess.run(['node', quell_eval.RNNOISE_DRIVER, '--model', model, *options],
                          input=np.asarray(x, '<f4').tobytes(), stdout=subprocess.PIPE, check=True)
    return np.frombuffer(proc.stdout, '<f4')


def click_train(rate, seconds=3.0):
    """Clicks every 137 ms (not a multiple of the 10 ms frame), from 0.2 s on, at odd offsets; a
    length that is no whole number of frames."""
    n = int(seconds * rate) + 123
    x = np.zeros(n)
    positions = np.arange(int(0.2 * rate), n - rate // 20, int(0.137 * rate)) + 7
    x[positions] = 0.5
    return x, positions


def peak_offsets(y, positions, rate):
    """Where the largest output sample lies within +-5 ms of each input click, relative to it."""
    half = rate // 200
    return [int(np.argmax(np.abs(y[p - half:p + half]))) - half for p in positions]


# The delay each model's driver measures (cross-correlation with a speech-like probe).
for model, frames in (('v01', 1), ('v02', 2), ('v01-echogarden', 1)):
    proc = subprocess.run(['node', quell_eval.RNNOISE_DRIVER, '--model', model, '--print-delay'],
                          stdout=subprocess.PIPE, text=True, check=True)
    delay = int(json.loads(proc.stdout)['delay'])
    check(delay == 480 * frames, f'{model}: measured delay {delay} samples ({480 * frames} expected)')

# Click train at 48 kHz through the driver.
x, positions = click_train(48000)
outputs = {}
for model in ('v01', 'v02', 'v01-echogarden'):
    y = driver(model, x)
    outputs[model] = y
    check(len(y) == len(x), f'{model}: output as long as the input ({len(y)} vs {len(x)})')
    offsets = peak_offsets(y, positions, 48000)
    check(max(abs(o) for o in offsets) <= 1, f'{model}: click peaks in place within +-1 sample ({offsets})')
    raw = driver(model, x, '--raw')
    offsets = peak_offsets(raw, positions + (960 if model == 'v02' else 480), 48000)
    check(max(abs(o) for o in offsets) <= 1, f'{model} --raw: the clicks come out {960 if model == "v02" else 480} '
          f'samples late ({offsets})')

# Which build is which model: the two 0.1 builds agree exactly on noisy speech-like input, 0.2 differs.
rng = np.random.default_rng(3)
t = np.arange(3 * 48000) / 48000
voiced = sum(np.sin(2 * np.pi * k * (150 + 30 * np.sin(2 * np.pi * 0.7 * t)) * t) / k for k in range(1, 20))
speechy = 0.2 * voiced * np.clip(np.sin(2 * np.pi * 2 * t), 0, None) + 0.02 * rng.standard_normal(t.size)
a, b, c = (driver(m, speechy) for m in ('v01', 'v01-echogarden', 'v02'))
check(np.array_equal(a, b), 'Jitsi rnnoise.wasm and Echogarden rnnoise.wasm (both RNNoise 0.1) give the same output')
difference = float(np.max(np.abs(a - c)) / np.max(np.abs(a)))
check(difference > 0.1, f'Jitsi rnnoise-sync.js (RNNoise 0.2) differs from them (max difference {difference:.2f} of the peak)')

# eval.py's path for a set at another rate: 16 kHz resampled to 48 kHz for RNNoise and back.
x16, positions16 = click_train(16000)
processors = quell_eval.Processors(os.path.join(REPO, 'build'), dict(os.environ))
with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, 'clicks16.wav')
    sf.write(src, x16, 16000, subtype='FLOAT')
    for system in ('rnnoise01', 'rnnoise02'):
        out = os.path.join(tmp, system + '.wav')
        processors.rnnoise_files(system, [src], [out], tmp)
        y, rate = sf.read(out)
        check(rate == 16000 and len(y) == len(x16), f'{system} at 16 kHz: 16 kHz output as long as the input')
        offsets = peak_offsets(y, positions16, 16000)
        check(max(abs(o) for o in offsets) <= 1, f'{system} at 16 kHz: click peaks in place within +-1 sample ({offsets})')

print(f'{len(failures)} failed' if failures else 'all passed')
sys.exit(1 if failures else 0)
