#!/usr/bin/python3
"""model/dnsmos.py (batched, own node runner) against the reference meter ../shared/meters/dnsmos.py
on a few real files: SIG/BAK/OVRL within 1e-3. Skips (77) without ../shared or without
onnxruntime-node in build/node (installed by `make eval`)."""
import os
import sys

try:
    import numpy as np  # noqa: F401  (availability check)
    import soundfile as sf  # noqa: F401
    import scipy  # noqa: F401
except ImportError as err:
    print(f'skipped: {err.name} is not installed (Debian python3-numpy python3-scipy python3-soundfile)')
    sys.exit(77)

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
SHARED = os.environ.get('QUELL_SHARED', os.path.join(REPO, '..', 'shared'))
METER_DIR = os.path.join(SHARED, 'meters')
DEV = os.path.join(SHARED, 'data', 'dev')
sys.path.insert(0, os.path.join(REPO, 'model'))
import dnsmos  # noqa: E402

if not (os.path.isfile(os.path.join(METER_DIR, 'dnsmos.py')) and os.path.isdir(DEV)):
    print(f'skipped: reference meter or dev data not found under {os.path.abspath(SHARED)} (set QUELL_SHARED)')
    sys.exit(77)
os.environ.setdefault('QUELL_SHARED', SHARED)
problem = dnsmos.check_available()
if problem:
    print(f'skipped: {problem}')
    sys.exit(77)
# The reference finds onnxruntime-node through NODE_PATH (its own node/ folder is read-only).
os.environ['NODE_PATH'] = os.path.abspath(dnsmos.default_node_modules())
import importlib.util  # noqa: E402
# Loaded under another name: the reference module is also called dnsmos.
spec = importlib.util.spec_from_file_location('reference_dnsmos', os.path.join(METER_DIR, 'dnsmos.py'))
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)

TOLERANCE = 1e-3
# 48 kHz (resampled to 16 kHz by the meter), 8 kHz NOIZEUS, and a clean reference.
FILES = ['mix48/noisy/d002.flac', 'mix48/clean/d002.flac', 'noizeus/noisy/sp05_car_sn5.flac']
paths = [os.path.join(DEV, f) for f in FILES]
ours = dnsmos.score_files(paths, jobs=2)
failures = []
for rel, path, mine in zip(FILES, paths, ours):
    ref = reference.dnsmos(path)
    diffs = {k: abs(mine[k] - ref[k]) for k in ('SIG', 'BAK', 'OVRL')}
    # num_hops counts the window cuts, including those skipped for being one sample short.
    ok = all(d <= TOLERANCE for d in diffs.values()) and 1 <= mine['windows'] <= ref['num_hops']
    print(f"{'ok  ' if ok else 'FAIL'}  {rel}: SIG/BAK/OVRL {mine['SIG']:.4f}/{mine['BAK']:.4f}/{mine['OVRL']:.4f} "
          f"(ref {ref['SIG']:.4f}/{ref['BAK']:.4f}/{ref['OVRL']:.4f}), windows {mine['windows']} "
          f"(ref cuts {ref['num_hops']})")
    if not ok:
        failures.append(rel)
print(f'{len(failures)} failed' if failures else 'all agree with dnsmos.py')
sys.exit(1 if failures else 0)
