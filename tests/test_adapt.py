#!/usr/bin/python3
"""quell-adapt (model/adapt.py) without its real run: every input error gets one line and its exit
code (usage 64, missing or empty folder 66, unreadable files, silence and too little noise 65,
speech in the noise 65, an unusable base model 65, an unwritable OUT 73), with nothing written;
the blob's format 3 info section survives a round trip through the C loader and adapt.read_blob.
With PyTorch and speech recordings present (a checkout with ../shared or the Debian speech cache)
it also runs a tiny adaptation (8 mixtures, 1 step) whose blob loads and records its base, and
interrupts one with SIGINT during fine-tuning: exit 130, no blob, no temporary file.
Audio is generated here; the speech-in-noise case uses speech from ../shared/data when present and
the shipped model/quell.qwb (its voice detector), else that case is skipped. Skips (77) only
without numpy/scipy/soundfile (make deps installs them)."""
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

try:
    import numpy as np
    import scipy  # noqa: F401
    import soundfile as sf
except ImportError as err:
    print(f'skipped: {err.name} is not installed (Debian python3-numpy python3-scipy python3-soundfile)')
    sys.exit(77)

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
BUILD = os.environ.get('BUILD', 'build')
BUILD = BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD)
ADAPT = os.path.join(ROOT, 'model', 'adapt.py')
LIB = os.path.join(BUILD, 'libquell_dsp.so')
FIXTURE_TOOL = os.path.join(BUILD, 'tests', 'quell-fixture-blob')
SHARED = os.environ.get('QUELL_SHARED', os.path.join(ROOT, '..', 'shared'))
sys.path.insert(0, os.path.join(ROOT, 'model'))
os.environ['QUELL_DSP_LIB'] = LIB
failures = []

# Under `make asan-check` libquell_dsp.so is built with ASan and Python is not: run again with
# the ASan runtime preloaded (as tests/test_features_py.sh does); PyTorch is left out there.
ASAN = False
try:
    dyn = subprocess.run(['readelf', '-d', LIB], capture_output=True, text=True).stdout
    asan_lib = next((w.strip('[]') for line in dyn.splitlines() if 'libasan' in line
                     for w in line.split() if w.startswith('[libasan')), None)
except OSError:
    asan_lib = None
if asan_lib:
    ASAN = True
    if 'QUELL_TEST_ASAN_PRELOADED' not in os.environ:
        cc = os.environ.get('CC', 'cc')
        rt = subprocess.run([cc, f'-print-file-name={asan_lib}'], capture_output=True,
                            text=True).stdout.strip()
        env = dict(os.environ, LD_PRELOAD=rt, ASAN_OPTIONS='detect_leaks=0',
                   QUELL_TEST_ASAN_PRELOADED='1')
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def check(name, ok, detail=''):
    print(('ok   ' if ok else 'FAIL ') + name + (f': {detail}' if detail else ''))
    if not ok:
        failures.append(name)


def adapt(*args, timeout=600):
    r = subprocess.run([sys.executable, ADAPT, *args], capture_output=True, text=True,
                       timeout=timeout, env=dict(os.environ, QUELL_DSP_LIB=LIB))
    return r.returncode, r.stderr


def noise(seconds, rate=16000, seed=1, amp=0.05):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(int(seconds * rate)).astype(np.float32)
    return (amp * np.convolve(x, np.ones(8) / 8, 'same')).astype(np.float32)


def one_line(err):
    return len([line for line in err.splitlines() if line.startswith('quell-adapt:')]) == 1


for path in (LIB, FIXTURE_TOOL):
    if not os.path.exists(path):
        print(f'FAIL: {path} not built (make check builds it)')
        sys.exit(1)

with tempfile.TemporaryDirectory() as tmp:
    fixture = os.path.join(tmp, 'fixture.qwb')
    subprocess.run([FIXTURE_TOOL, fixture, '5'], check=True)
    out = os.path.join(tmp, 'out.qwb')

    def case(name, code, words, folder, extra=()):
        rc, err = adapt('--noise', folder, '--out', out, '--from', fixture, *extra)
        last = err.strip().splitlines()[-1] if err.strip() else ''
        check(name, rc == code and all(w in err for w in words) and not os.path.exists(out),
              f'exit {rc} (want {code}): {last}')
        if rc == code:
            print(f'       {last}')

    rc, err = adapt('--out', out)
    check('usage: no --noise', rc == 64 and '--noise' in err, f'exit {rc}')
    rc, err = adapt('--noise', tmp, '--out', out, '--minutes', '0')
    check('usage: --minutes 0', rc == 64, f'exit {rc}')

    case('missing folder', 66, ['does not exist'], os.path.join(tmp, 'nope'))
    empty = os.path.join(tmp, 'empty')
    os.mkdir(empty)
    case('empty folder', 66, ['is empty'], empty)

    junk = os.path.join(tmp, 'junk')
    os.mkdir(junk)
    for i in range(3):
        with open(os.path.join(junk, f'take{i}.wav'), 'w') as fh:
            fh.write('not audio at all\n' * 50)
    case('unreadable files only', 65, ['libsndfile'], junk)

    silent = os.path.join(tmp, 'silent')
    os.mkdir(silent)
    sf.write(os.path.join(silent, 'room.wav'), np.zeros(16000 * 90, np.float32), 16000)
    sf.write(os.path.join(silent, 'room2.flac'), np.full(16000 * 30, 1e-6, np.float32), 16000)
    case('silence only', 65, ['silence'], silent)

    short = os.path.join(tmp, 'short')
    os.mkdir(short)
    sf.write(os.path.join(short, 'fan.flac'), noise(20), 16000)
    sf.write(os.path.join(short, 'fan2.wav'), noise(15, 48000, 2), 48000)
    with open(os.path.join(short, 'notes.txt'), 'w') as fh:
        fh.write('a text file among the recordings is skipped with a note\n')
    case('too little noise (35 s)', 65, ['35 s', 'at least 60 s', 'skipping'], short)

    fan = os.path.join(tmp, 'fan')
    os.mkdir(fan)
    sf.write(os.path.join(fan, 'fan.flac'), noise(70), 16000)
    bad = os.path.join(tmp, 'bad.qwb')
    with open(fixture, 'rb') as fh:
        blob = bytearray(fh.read())
    blob[200] ^= 0xff
    with open(bad, 'wb') as fh:
        fh.write(blob)
    rc, err = adapt('--noise', fan, '--out', out, '--from', bad)
    check('corrupt base model', rc == 65 and 'checksum' in err and one_line(err), f'exit {rc}')
    rc, err = adapt('--noise', fan, '--out', os.path.join(tmp, 'no', 'such', 'x.qwb'),
                    '--from', fixture)
    check('unwritable OUT', rc == 73 and one_line(err), f'exit {rc}: {err.strip()}')

    # Speech in the "noise": real voices, heard by the shipped model's voice detector.
    voices = sorted(
        os.path.join(d, f) for d, _, fs in os.walk(os.path.join(SHARED, 'data', 'speech', 'librispeech'))
        for f in fs if f.endswith(('.flac', '.wav')))[:40]
    shipped = os.path.join(ROOT, 'model', 'quell.qwb')
    if voices and os.path.exists(shipped):
        talk = os.path.join(tmp, 'talk')
        os.mkdir(talk)
        parts, total = [], 0
        for v in voices:
            x, r = sf.read(v, dtype='float32')
            x = x if x.ndim == 1 else x.mean(axis=1)
            parts.append(x)
            total += len(x) / r
            if total > 75:
                break
        sf.write(os.path.join(talk, 'meeting.flac'), np.concatenate(parts), r)
        rc, err = adapt('--noise', talk, '--out', out, '--from', shipped)
        check('speech in the noise', rc == 65 and 'holds speech' in err and not os.path.exists(out),
              f'exit {rc}: {err.strip().splitlines()[-1] if err.strip() else ""}')
    else:
        print('skip speech in the noise: no ../shared/data/speech or model/quell.qwb')

    # The info section: a format 3 blob made from the fixture, read by C and by adapt.read_blob.
    import adapt as adapt_mod
    import quell_dsp
    body = bytearray(blob_fixture := open(fixture, 'rb').read())[:-4]
    struct.pack_into('<I', body, 8, 3)
    text = 'tool=quell-adapt\nadapted_from=0badf00d\nnoise_seconds=180.0\n'
    t = text.encode()
    body += b'QINF' + struct.pack('<I', len(t)) + t + b'\0' * (-len(t) % 4)
    v3 = bytes(body) + struct.pack('<I', zlib.crc32(bytes(body)) & 0xffffffff)
    m = quell_dsp.Model.from_bytes(v3)
    cfg, tensors, crc, info = adapt_mod.read_blob(v3)
    cfg2, tensors2, _, info2 = adapt_mod.read_blob(blob_fixture)
    check('format 3 info round trip', info == text and info2 == '' and cfg == cfg2 and
          all(np.array_equal(tensors[k], tensors2[k]) for k in tensors2) and
          crc == int.from_bytes(v3[-4:], 'little'), repr(info))
    del m

    try:
        if ASAN:
            raise ImportError('torch')  # not under the preloaded ASan runtime
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    speech_here = os.path.isdir(os.path.join(SHARED, 'data', 'speech')) or \
        os.path.isdir(os.path.join(ROOT, 'model', 'cache', 'debian-speech'))
    if not have_torch or not speech_here:
        print('skip the tiny run and Ctrl-C: ' + ('no PyTorch (or under ASan)' if not have_torch else
                                                   'no speech recordings (../shared, Debian cache)'))
    else:
        # export.blob_bytes with info= writes what the C loader reads (PyTorch needed).
        import export
        net = adapt_mod.torch_model(cfg2, tensors2)
        b3 = export.blob_bytes(cfg2, net, text)
        b2 = export.blob_bytes(cfg2, net)
        check('export: format 3 with info, format 2 unchanged without',
              adapt_mod.read_blob(b3)[3] == text and b2 == blob_fixture and
              quell_dsp.Model.from_bytes(b3) is not None)

        room = os.path.join(tmp, 'room')
        os.mkdir(room)
        for i in range(5):
            sf.write(os.path.join(room, f'take{i}.flac'), noise(16, 48000, 10 + i), 48000)
        rc, err = adapt('--noise', room, '--out', out, '--from', fixture, '--clips', '8',
                        '--steps', '1', '--batch', '4', '--speech-files', '12', '--no-report', '-q')
        ok = rc == 0 and os.path.exists(out)
        info = adapt_mod.read_blob(open(out, 'rb').read())[3] if ok else ''
        check('tiny run writes a format 3 blob naming its base',
              ok and f'adapted_from={int.from_bytes(blob_fixture[-4:], "little"):08x}' in info
              and 'noise_seconds=' in info and quell_dsp.Model.load(out) is not None,
              f'exit {rc}: {err.strip()[-300:]}')
        os.unlink(out) if os.path.exists(out) else None

        # Ctrl-C while fine-tuning: exit 130, nothing written.
        p = subprocess.Popen([sys.executable, ADAPT, '--noise', room, '--out', out, '--from',
                              fixture, '--clips', '8', '--minutes', '30', '--batch', '4',
                              '--speech-files', '12'], stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, QUELL_DSP_LIB=LIB))
        seen = ''
        t0 = time.time()
        while time.time() - t0 < 300:
            line = p.stderr.readline()
            if not line:
                break
            seen += line
            if line.startswith('fine-tuning'):
                p.send_signal(signal.SIGINT)
                break
        rest = p.communicate(timeout=120)[1]
        check('Ctrl-C while fine-tuning', p.returncode == 130 and 'nothing written' in rest and
              not os.path.exists(out) and not os.path.exists(out + '.tmp'),
              f'exit {p.returncode}: {(seen + rest).strip()[-300:]}')

print('PASS' if not failures else f'FAIL: {", ".join(failures)}')
sys.exit(1 if failures else 0)
