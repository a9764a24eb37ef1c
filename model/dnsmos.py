"""DNSMOS P.835 (SIG, BAK, OVRL) for many files at once, for `make eval`.

The input processing reproduces Microsoft's DNS-Challenge DNSMOS/dnsmos_local.py, as the reference
meter ../shared/meters/dnsmos.py does:
  - mono, resampled to 16 kHz (resampy 'kaiser_best' when installed, else scipy polyphase, which is
    what the reference meter uses on a machine without resampy), cut or padded to ceil(n*16000/rate);
  - a clip shorter than 9.01 s is doubled (np.append(audio, audio)) until it is long enough;
  - windows of int(9.01*16000) = 144160 samples with a 1 s hop, int(floor(len/16000) - 9.01) + 1 of them,
    window i cut at int((i + 9.01) * 16000), which floating point makes one sample short for i >= 8:
    the original skips such windows and so does this;
  - each window's raw SIG/BAK/OVRL from sig_bak_ovr.onnx mapped by the published polynomials
    SIG = -0.08397278 r^2 + 1.22083953 r + 0.0052439, BAK = -0.13166888 r^2 + 1.60915514 r - 0.39604546,
    OVRL = -0.06766283 r^2 + 1.11546468 r + 0.04602535, then averaged over the windows.
The ONNX inference runs in node (model/dnsmos.cjs with onnxruntime-node) over all windows of a
batch of files, split across `jobs` node processes; the P.808 model is not run (not reported).

    dnsmos.py [--jobs N] FILE...   -> one JSON line per file
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from fractions import Fraction

import numpy as np
import soundfile as sf

RATE = 16000
WINDOW_SECONDS = 9.01
WINDOW = int(WINDOW_SECONDS * RATE)
HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, 'dnsmos.cjs')

# Published DNSMOS P.835 mappings (dnsmos_local.py, non-personalised), highest power first.
SIG_POLY = np.poly1d([-0.08397278, 1.22083953, 0.0052439])
BAK_POLY = np.poly1d([-0.13166888, 1.60915514, -0.39604546])
OVRL_POLY = np.poly1d([-0.06766283, 1.11546468, 0.04602535])


def default_node_modules():
    """Where `make eval` installs onnxruntime-node (QUELL_NODE_MODULES overrides)."""
    return os.environ.get('QUELL_NODE_MODULES', os.path.join(HERE, '..', 'build', 'node', 'node_modules'))


def check_available(model=None):
    """A reason DNSMOS cannot run here, or None."""
    model = model or default_model_path()
    if not os.path.isfile(model):
        return f'DNSMOS model not found: {model} (set QUELL_SHARED)'
    if not os.path.isfile(os.path.join(default_node_modules(), 'onnxruntime-node', 'package.json')):
        return (f'onnxruntime-node is not installed in {os.path.normpath(default_node_modules())} '
                '(make eval installs it: npm install --ignore-scripts)')
    if shutil.which('node') is None:
        return 'node (Node.js) not found'
    return None


def default_model_path():
    shared = os.environ.get('QUELL_SHARED', os.path.join(HERE, '..', '..', 'shared'))
    return os.path.join(shared, 'data', 'dnsmos', 'sig_bak_ovr.onnx')


def resampler_name():
    """Which resampler to_16k uses here: it changes DNSMOS by a few hundredths for non-16 kHz input."""
    try:
        import resampy  # noqa: F401
        return 'resampy-kaiser_best'
    except ImportError:
        return 'scipy-polyphase'


def to_16k(x, rate):
    """Resample a mono signal to 16 kHz the way the reference meter does (length fixed to
    ceil(n * 16000 / rate), like librosa.util.fix_length after librosa.resample)."""
    x = np.asarray(x, dtype=np.float64)
    if rate == RATE:
        return x
    try:
        import resampy
        y = resampy.resample(x, rate, RATE, filter='kaiser_best', axis=-1)
    except ImportError:
        from scipy.signal import resample_poly
        ratio = Fraction(RATE, int(rate)).limit_denominator(1000)
        y = resample_poly(x, ratio.numerator, ratio.denominator)
    n = int(np.ceil(len(x) * RATE / rate))
    return y[:n] if len(y) >= n else np.pad(y, (0, n - len(y)))


def windows_of(audio16k):
    """The (count, WINDOW) float32 windows DNSMOS scores for one 16 kHz clip."""
    audio = np.asarray(audio16k, dtype=np.float64)
    if len(audio) == 0:
        raise ValueError('empty clip')
    while len(audio) < WINDOW:
        audio = np.append(audio, audio)
    count = int(np.floor(len(audio) / RATE) - WINDOW_SECONDS) + 1
    rows = [audio[int(i * RATE):int((i + WINDOW_SECONDS) * RATE)] for i in range(count)]
    rows = [r for r in rows if len(r) >= WINDOW]
    return np.asarray(rows, dtype=np.float32)


def load_mono(path):
    audio, rate = sf.read(path, dtype='float64', always_2d=True)
    return audio.mean(axis=1), rate


def _run_node(model, windows, threads, env):
    with tempfile.NamedTemporaryFile(suffix='.f32', delete=False) as f:
        f.write(np.ascontiguousarray(windows, dtype='<f4').tobytes())
        path = f.name
    try:
        proc = subprocess.Popen(['node', RUNNER, model, path, str(threads)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        return proc, path
    except BaseException:
        os.unlink(path)
        raise


def score_signals(signals, model=None, jobs=2):
    """DNSMOS P.835 of each (samples, rate) pair: a list of dicts with SIG, BAK, OVRL (mapped,
    averaged over windows), their raw averages and the window count."""
    model = model or default_model_path()
    if not os.path.isfile(model):
        raise FileNotFoundError(f'DNSMOS model not found: {model}')
    per_clip = [windows_of(to_16k(x, rate)) for x, rate in signals]
    counts = [len(w) for w in per_clip]
    if sum(counts) == 0:
        return []
    all_windows = np.concatenate(per_clip)
    env = dict(os.environ, NODE_PATH=os.path.abspath(default_node_modules()))
    jobs = max(1, min(jobs, len(all_windows)))
    parts = np.array_split(np.arange(len(all_windows)), jobs)
    running = [_run_node(model, all_windows[idx], 1, env) for idx in parts]
    raw = []
    failure = None
    for proc, path in running:
        out, err = proc.communicate()
        os.unlink(path)
        if proc.returncode != 0:
            failure = failure or err.decode(errors='replace').strip()
            continue
        raw.extend(json.loads(out)['raw'])
    if failure is not None:
        raise RuntimeError(f'DNSMOS inference failed: {failure}')
    raw = np.asarray(raw, dtype=np.float64)
    results = []
    start = 0
    for count in counts:
        r = raw[start:start + count]
        start += count
        mapped = np.stack([SIG_POLY(r[:, 0]), BAK_POLY(r[:, 1]), OVRL_POLY(r[:, 2])], axis=1)
        results.append({
            'SIG': float(mapped[:, 0].mean()), 'BAK': float(mapped[:, 1].mean()),
            'OVRL': float(mapped[:, 2].mean()), 'SIG_raw': float(r[:, 0].mean()),
            'BAK_raw': float(r[:, 1].mean()), 'OVRL_raw': float(r[:, 2].mean()), 'windows': count,
        })
    return results


def score_files(paths, model=None, jobs=2):
    """DNSMOS P.835 of each audio file (see score_signals)."""
    return score_signals([load_mono(p) for p in paths], model=model, jobs=jobs)


def main(argv):
    jobs = 2
    if len(argv) >= 2 and argv[0] == '--jobs':
        jobs = int(argv[1])
        argv = argv[2:]
    if not argv:
        sys.exit('usage: dnsmos.py [--jobs N] FILE...')
    for path, result in zip(argv, score_files(argv, jobs=jobs)):
        print(json.dumps(dict(file=path, **{k: round(v, 4) if isinstance(v, float) else v
                                             for k, v in result.items()})))


if __name__ == '__main__':
    main(sys.argv[1:])
