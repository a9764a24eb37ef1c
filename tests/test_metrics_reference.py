#!/usr/bin/python3
"""model/metrics.py against the reference meter ../shared/meters/meter.py on real dev pairs:
STOI within 1e-3 and SI-SDR within 0.01 dB. Skips (77) when the shared folder is absent."""
import os
import sys

try:
    import numpy as np
    import soundfile as sf
    import scipy  # noqa: F401
except ImportError as err:
    print(f'skipped: {err.name} is not installed (Debian python3-numpy python3-scipy python3-soundfile)')
    sys.exit(77)


REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
SHARED = os.environ.get('QUELL_SHARED', os.path.join(REPO, '..', 'shared'))
METER_DIR = os.path.join(SHARED, 'meters')
DEV = os.path.join(SHARED, 'data', 'dev')
if not (os.path.isfile(os.path.join(METER_DIR, 'meter.py')) and os.path.isdir(DEV)):
    print(f'skipped: reference meter or dev data not found under {os.path.abspath(SHARED)} (set QUELL_SHARED)')
    sys.exit(77)
sys.path.insert(0, os.path.join(REPO, 'model'))
sys.path.insert(0, METER_DIR)
import meter  # noqa: E402  (the reference)
import metrics  # noqa: E402

STOI_TOLERANCE = 1e-3
SI_SDR_TOLERANCE_DB = 0.01

# (clean, noisy) relative to dev/: 48 kHz pairs at several SNRs and 8 kHz NOIZEUS pairs.
PAIRS = [('mix48/clean/d000.flac', 'mix48/noisy/d000.flac'),
         ('mix48/clean/d005.flac', 'mix48/noisy/d005.flac'),
         ('mix48/clean/d013.flac', 'mix48/noisy/d013.flac'),
         ('mix48/clean/d021.flac', 'mix48/noisy/d021.flac'),
         ('noizeus/clean/sp01.flac', 'noizeus/noisy/sp01_babble_sn0.flac'),
         ('noizeus/clean/sp12.flac', 'noizeus/noisy/sp12_street_sn10.flac')]

failures = []
for clean_rel, noisy_rel in PAIRS:
    clean, rate = sf.read(os.path.join(DEV, clean_rel), dtype='float64')
    noisy, noisy_rate = sf.read(os.path.join(DEV, noisy_rel), dtype='float64')
    assert noisy_rate == rate
    n = min(len(clean), len(noisy))
    clean, noisy = clean[:n], noisy[:n]
    # A processed-looking test signal too: partly denoised, 3 samples late, lower level.
    processed = 0.6 * (0.5 * noisy + 0.5 * clean)
    processed = np.concatenate([np.zeros(3), processed[:-3]])
    for label, test in (('noisy', noisy), ('processed', processed)):
        ours = (metrics.stoi(clean, test, rate), metrics.si_sdr(clean, test))
        ref = (meter.stoi(clean, test, rate), meter.si_sdr(clean, test))
        ok = abs(ours[0] - ref[0]) <= STOI_TOLERANCE and abs(ours[1] - ref[1]) <= SI_SDR_TOLERANCE_DB
        print(f"{'ok  ' if ok else 'FAIL'}  {noisy_rel} {label}: STOI {ours[0]:.5f} (ref {ref[0]:.5f}), "
              f'SI-SDR {ours[1]:.3f} dB (ref {ref[1]:.3f})')
        if not ok:
            failures.append(f'{noisy_rel} {label}')
# The reference's own file-level entry point (rounded to 4 and 3 decimals) on one pair.
clean_path, noisy_path = (os.path.join(DEV, p) for p in PAIRS[0])
whole = meter.measure(clean_path, noisy_path)
clean, rate = sf.read(clean_path, dtype='float64')
noisy, _ = sf.read(noisy_path, dtype='float64')
if abs(metrics.stoi(clean, noisy, rate) - whole['stoi']) > STOI_TOLERANCE or \
        abs(metrics.si_sdr(clean, noisy) - whole['si_sdr']) > SI_SDR_TOLERANCE_DB:
    failures.append('meter.py CLI values')
print(f'{len(failures)} failed: ' + ', '.join(failures) if failures else 'all agree with meter.py')
sys.exit(1 if failures else 0)
