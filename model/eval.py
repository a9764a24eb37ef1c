#!/usr/bin/python3
"""eval.py — Quell's quality evaluation (`make eval`).

Runs the built LV2 plugin through lilv (build/host-test/quell-process when it is built, else
lv2apply with the latency compensated here), the speexdsp preprocessor baseline
(build/host-test/speex_denoise), RNNoise 0.1 and 0.2 (the npm WASM builds through
model/rnnoise_denoise.cjs) and the untouched noisy input over the paired dev sets in
../shared/data/dev, scores every output against the clean reference and writes:
  build/eval/report.md           tables per set (SI-SDR, STOI, DNSMOS P.835 SIG/BAK/OVRL, delay),
                                 and per noise and per input SNR
  build/eval/results.json        every per-item number
  build/eval/spectrograms/*.png  clean / noisy / baseline / Quell spectrograms of a few items; for
                                 wild48 noisy / clean / Quell / RNNoise 0.1 of transient noises

Sets:
  mix48    dev/mix48: 48 kHz pairs, processed and scored at 48 kHz.
  wild48   dev/wild48: 48 kHz pairs of acted speech in UrbanSound8K noises (8 classes, -5..20 dB
           SNR, both from its meta.json), processed and scored at 48 kHz like mix48.
  noizeus  dev/noizeus: 8 kHz pairs. The plugin serves 16..192 kHz, so clean and noisy are both
           upsampled to 16 kHz (scipy polyphase) first; every system runs and is scored at 16 kHz.

Meters: model/metrics.py (SI-SDR, STOI per Taal 2011) and model/dnsmos.py (DNSMOS P.835 through
onnxruntime-node; DNSMOS results are cached by audio content in build/eval/dnsmos-cache.json, so
a re-run only scores outputs that changed).

Three reference rows bound what the meters reward: `clean` (the clean reference itself), `oracle`
(the noisy input with the ideal band gains sqrt(E_clean/E_noisy), applied through the engine's own
filterbank by libquell_dsp.so: what a perfect gain estimator with Quell's bands and latency would
output) and `wiener` (the same with the Wiener gains E_clean/E_noisy, the least-squares band gains
and the shipped second stage's training target, model/train.py --target-power 2).

`quell_clean` is Quell run on the clean reference itself, scored against it: the speech damage the
plugin does where there is no noise to remove (per item, so it has per-noise and per-SNR rows too).

`rnnoise01` / `rnnoise02`: RNNoise 0.1 (2017) and 0.2 (2024), the peer, from the npm packages
model/eval.mk installs into build/node (which file is which model: model/rnnoise_denoise.cjs). They
run at 48 kHz only: other rates (noizeus at 16 kHz) are resampled to 48 kHz and back (scipy
resample_poly). Their delay (10 and 20 ms) is measured by the driver and removed there.

    eval.py [--limit N] [--jobs N] [--systems noisy,speex,quell,quell_clean,rnnoise01,rnnoise02,oracle,wiener,clean]
            [--sets mix48,noizeus,wild48]
"""
import argparse
import concurrent.futures
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import dnsmos  # noqa: E402
import metrics  # noqa: E402

QUELL_URI_MONO = 'https://github.com/quell-audio/quell#mono'
ALL_SYSTEMS = ('noisy', 'speex', 'quell', 'quell_clean', 'rnnoise01', 'rnnoise02', 'oracle', 'wiener', 'clean')
# Reference rows, not denoisers: `clean` scores the clean reference itself (what a perfectly
# faithful denoiser would output) and `oracle` the noisy input filtered with the ideal band gains
# sqrt(E_clean / E_noisy) through the engine's own filterbank (`wiener`: E_clean / E_noisy, the
# least-squares gains): what exact gain estimators with Quell's bands would output. They bound
# what the metrics can reward.
BOUND_SYSTEMS = ('oracle', 'wiener', 'clean')
# Exponent on the amplitude ratio sqrt(E_clean / E_noisy) of each oracle row.
ORACLE_POWERS = {'oracle': 1.0, 'wiener': 2.0}
ALL_SETS = ('mix48', 'noizeus', 'wild48')
# Sets of 48 kHz FLAC pairs in clean/ and noisy/ with a meta.json naming each item's noise and SNR.
PAIRED_48K_SETS = ('mix48', 'wild48')
# RNNoise systems: the model each runs in model/rnnoise_denoise.cjs, and the only rate it serves.
RNNOISE_MODELS = {'rnnoise01': 'v01', 'rnnoise02': 'v02'}
RNNOISE_RATE = 48000
RNNOISE_DRIVER = os.path.join(HERE, 'rnnoise_denoise.cjs')
# Systems run on the clean reference instead of the noisy input (still scored against the clean one).
ON_CLEAN_SYSTEMS = ('quell_clean',)
# wild48's spectrograms: one item of each transient noise class, with these panels only.
TRANSIENT_NOISES = ('dog_bark', 'gun_shot', 'jackhammer')
TRANSIENT_PANELS = ('noisy', 'clean', 'quell', 'rnnoise01')
SYSTEM_LABELS = {'noisy': 'noisy input', 'speex': 'speexdsp preprocessor', 'quell': 'Quell',
                 'quell_clean': 'Quell on the clean reference (speech damage)',
                 'rnnoise01': 'RNNoise 0.1 (npm WASM)', 'rnnoise02': 'RNNoise 0.2 (2024, npm WASM)',
                 'oracle': 'ideal band gains (oracle bound)',
                 'wiener': 'ideal Wiener band gains (oracle bound)', 'clean': 'clean reference'}
NOIZEUS_RATE = 16000       # the plugin's lowest rate; NOIZEUS is 8 kHz
ALIGN_SEARCH_SECONDS = 0.05  # lags searched when checking that an output is sample-aligned
DNSMOS_BATCH_CLIPS = 120   # clips per DNSMOS batch: bounds the memory of the prepared windows
# Words in dev/'s noise names that mark recordings of other people's voices (voice_interferer_group).
VOICE_INTERFERER_WORDS = ('cafe', 'playground', 'kids', 'children', 'babble', 'restaurant')
# Figures quoted in issue 5 for dev/mix48 (not measured here; PESQ-WB is not implemented).
ISSUE_REFERENCE_ROWS = [
    ('RNNoise 2024 (issue 5)', '0.823', '7.37', '2.84', '3.75', '2.51', '20'),
    ('DeepFilterNet3 (issue 5)', '0.852', '9.51', '3.05', '3.98', '2.77', '40'),
]


class Item:
    """One clean/noisy pair, both at `rate` Hz."""

    def __init__(self, name, clean, noisy, rate, snr=None, noise=None):
        self.name, self.clean, self.noisy, self.rate = name, clean, noisy, rate
        self.snr, self.noise = snr, noise


def read_mono(path):
    audio, rate = sf.read(path, dtype='float64', always_2d=True)
    return audio.mean(axis=1), rate


def evenly_spaced(items, limit):
    """`limit` items spread over the whole (sorted) list, so a quick run still covers every SNR
    and noise rather than the first speaker only."""
    if not limit or limit >= len(items):
        return items
    picks = np.unique(np.round(np.linspace(0, len(items) - 1, limit)).astype(int))
    return [items[i] for i in picks]


def paired_items(shared, set_name):
    """The items of a 48 kHz set (PAIRED_48K_SETS): every noisy/X with a clean/X, its SNR and noise
    class from the set's meta.json (a list of {'name', 'snr', 'noise', ...}) when it has them."""
    root = os.path.join(shared, 'data', 'dev', set_name)
    meta = {}
    meta_path = os.path.join(root, 'meta.json')
    if os.path.isfile(meta_path):
        with open(meta_path) as f:
            meta = {m['name']: m for m in json.load(f)}
    items = []
    for fname in sorted(os.listdir(os.path.join(root, 'noisy'))):
        name = os.path.splitext(fname)[0]
        clean = os.path.join(root, 'clean', fname)
        if not os.path.isfile(clean):
            continue
        m = meta.get(name, {})
        items.append(Item(name, clean, os.path.join(root, 'noisy', fname), sf.info(clean).samplerate,
                          m.get('snr'), m.get('noise')))
    return items


def noizeus_items(shared, work):
    """NOIZEUS pairs, to be upsampled to 16 kHz into work/noizeus16k by prepare_noizeus."""
    root = os.path.join(shared, 'data', 'dev', 'noizeus')
    out_root = os.path.join(work, 'noizeus16k')
    pattern = re.compile(r'^(sp\d+)_(.+)_sn(-?\d+)$')
    items = []
    for fname in sorted(os.listdir(os.path.join(root, 'noisy'))):
        name = os.path.splitext(fname)[0]
        match = pattern.match(name)
        if not match:
            continue
        speaker, noise, snr = match.group(1), match.group(2), int(match.group(3))
        clean_src = os.path.join(root, 'clean', speaker + '.flac')
        if not os.path.isfile(clean_src):
            continue
        item = Item(name, os.path.join(out_root, 'clean', speaker + '.wav'),
                    os.path.join(out_root, 'noisy', name + '.wav'), NOIZEUS_RATE, snr, noise)
        item.sources = (clean_src, os.path.join(root, 'noisy', fname))
        items.append(item)
    return items


def prepare_noizeus(items):
    """Writes the 16 kHz float WAV copies of the chosen NOIZEUS pairs (once; kept in build/eval)."""
    for item in items:
        for src, dst in zip(item.sources, (item.clean, item.noisy)):
            if os.path.isfile(dst):
                continue
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            x, rate = read_mono(src)
            tmp = dst + '.part.wav'
            sf.write(tmp, metrics.resample(x, rate, NOIZEUS_RATE), NOIZEUS_RATE, subtype='FLOAT')
            os.replace(tmp, dst)


def xcorr_lag(reference, test, max_lag):
    """Lag (samples) at which `test` best matches `reference`; positive = test is late."""
    n = min(len(reference), len(test))
    a = np.asarray(reference[:n], dtype=np.float64)
    b = np.asarray(test[:n], dtype=np.float64)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    corr = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    values = np.concatenate([corr[:max_lag + 1], corr[size - max_lag:]])
    return int(lags[np.argmax(values)])


class Processors:
    """How each system turns a noisy file into an output file of the same length, aligned."""

    def __init__(self, build, env, quell_host='auto', quell_controls=()):
        self.requested_host = quell_host
        self.quell_controls = list(quell_controls)  # (symbol, value) pairs; empty = plugin defaults
        self.build = os.path.abspath(build)
        self.env = env
        self.speex = os.path.join(self.build, 'host-test', 'speex_denoise')
        self.quell_process = os.path.join(self.build, 'host-test', 'quell-process')
        self.bundle = os.path.join(self.build, 'quell.lv2')
        self.quell_latency = {}  # rate -> samples, measured (lv2apply path only)
        self.quell_host = None
        self.dsp_lib = os.path.join(self.build, 'libquell_dsp.so')
        self.blob = os.environ.get('QUELL_MODEL') or os.path.join(self.bundle, 'quell.qwb')
        self._oracle_cfg = None
        self.rnnoise_delay = {}  # system -> samples at 48 kHz, measured by the driver

    def check(self, systems):
        """A list of reasons the requested systems cannot run (empty when all can)."""
        problems = []
        if 'speex' in systems and not os.access(self.speex, os.X_OK):
            problems.append(f'{self.speex} is not built (make {os.path.relpath(self.speex, REPO)})')
        if any(s in ORACLE_POWERS for s in systems):
            if not os.path.isfile(self.dsp_lib):
                problems.append(f'{self.dsp_lib} is not built (make {os.path.relpath(self.dsp_lib, REPO)})')
            if not os.path.isfile(self.blob):
                problems.append(f'the oracle row takes its band layout from {self.blob}, which does not exist')
        if 'quell' in systems:
            if not os.path.isfile(os.path.join(self.bundle, 'manifest.ttl')):
                problems.append(f'the LV2 bundle {self.bundle} is not built (make)')
            elif not (os.path.isfile(os.path.join(self.bundle, 'quell.qwb')) or os.environ.get('QUELL_MODEL')):
                problems.append(f'the LV2 bundle {self.bundle} has no weights (model/quell.qwb not trained yet: '
                                'make train; or evaluate the others with EVAL_SYSTEMS="noisy speex")')
            has_process = os.access(self.quell_process, os.X_OK)
            has_lv2apply = shutil.which('lv2apply') is not None
            if self.requested_host in ('auto', 'quell-process') and has_process:
                self.quell_host = 'quell-process'
            elif self.requested_host in ('auto', 'lv2apply') and has_lv2apply:
                self.quell_host = 'lv2apply'
            else:
                problems.append(f'no lilv host for Quell (--quell-host {self.requested_host}): need '
                                'build/host-test/quell-process or lv2apply (lilv-utils)')
            if not has_lv2apply:
                problems.append('lv2apply (lilv-utils) not found: it measures the plugin delay')
        if any(s in RNNOISE_MODELS for s in systems):
            package = os.path.join(dnsmos.default_node_modules(), '@jitsi', 'rnnoise-wasm', 'package.json')
            if shutil.which('node') is None:
                problems.append('node (Node.js) not found: RNNoise runs in it')
            elif not os.path.isfile(package):
                problems.append(f'@jitsi/rnnoise-wasm is not installed in '
                                f'{os.path.normpath(dnsmos.default_node_modules())} (make eval installs it)')
        return problems

    def _rnnoise_cmd(self, system):
        return ['node', RNNOISE_DRIVER, '--model', RNNOISE_MODELS[system]]

    def measure_rnnoise_delay(self, system):
        """RNNoise's delay in samples at 48 kHz, as the driver measures it (cross-correlation of
        its raw output with a speech-like probe; the driver removes it from every output)."""
        if system not in self.rnnoise_delay:
            proc = subprocess.run(self._rnnoise_cmd(system) + ['--print-delay'], env=self.env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f'{RNNOISE_DRIVER} --print-delay failed: {proc.stderr.strip()[-500:]}')
            self.rnnoise_delay[system] = int(json.loads(proc.stdout)['delay'])
        return self.rnnoise_delay[system]

    def rnnoise_files(self, system, sources, outputs, work):
        """RNNoise on each source file (one node process for them all, a fresh RNNoise state per
        file): resampled to 48 kHz and back when the file is at another rate, the output the
        length of its input and aligned with it."""
        delay = self.measure_rnnoise_delay(system)
        with tempfile.TemporaryDirectory(dir=work) as tmp:
            pairs, inputs = [], []
            for k, src in enumerate(sources):
                x, rate = read_mono(src)
                raw_in, raw_out = os.path.join(tmp, f'{k}.in.f32'), os.path.join(tmp, f'{k}.out.f32')
                metrics.resample(x, rate, RNNOISE_RATE).astype('<f4').tofile(raw_in)
                pairs += [raw_in, raw_out]
                inputs.append((len(x), rate))
            self._run(self._rnnoise_cmd(system) + ['--delay', str(delay)] + pairs)
            for (n, rate), raw_out, out in zip(inputs, pairs[1::2], outputs):
                y = metrics.resample(np.fromfile(raw_out, dtype='<f4'), RNNOISE_RATE, rate)
                y = np.concatenate([y[:n], np.zeros(max(0, n - len(y)))])
                sf.write(out, y, rate, subtype='FLOAT')

    def oracle_file(self, item, out, power=1.0):
        """The noisy input through the engine's filterbank with the ideal band gains (the
        amplitude ratio of model/data.py, unmasked, to the power `power`), compensated by the
        engine's 2-hop delay."""
        import quell_dsp
        cfg = self.oracle_config()
        noisy, rate = read_mono(item.noisy)
        clean, _ = read_mono(item.clean)
        _, e_noisy, e_clean = quell_dsp.analyze(cfg, rate, noisy, clean, features=False)
        y = quell_dsp.apply_gains(cfg, rate, noisy, quell_dsp.ideal_band_gains(e_noisy, e_clean, power))
        delay = 2 * quell_dsp.hop_samples(cfg, rate)
        y = np.concatenate([y[delay:], np.zeros(delay, np.float32)])
        sf.write(out, y, rate, subtype='FLOAT')

    def oracle_config(self):
        """The band layout of the evaluated weights (their blob carries its config)."""
        if self._oracle_cfg is None:
            import quell_dsp
            os.environ.setdefault('QUELL_DSP_LIB', self.dsp_lib)
            self._oracle_cfg = quell_dsp.Model.load(self.blob).config()
        return self._oracle_cfg

    def _run(self, cmd):
        proc = subprocess.run(cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): "
                               f"{proc.stderr.decode(errors='replace').strip()[-500:]}")

    def speex_file(self, noisy, out, compensate=True):
        self._run([self.speex] + ([] if compensate else ['--no-compensate']) + [noisy, out])

    def lv2apply_raw(self, noisy, out, controls=()):
        cmd = ['lv2apply', '-i', noisy, '-o', out]
        for symbol, value in controls:
            cmd += ['-c', symbol, str(value)]
        self._run(cmd + [QUELL_URI_MONO])

    def measure_quell_latency(self, rate, work):
        """The plugin's delay at `rate`, measured through lv2apply with the attenuation limit at
        0 dB (pass-through, where the plugin must reconstruct its input exactly): the lag of the
        cross-correlation peak of one second of white noise."""
        if rate not in self.quell_latency:
            lag = measure_delay(lambda i, o: self.lv2apply_raw(i, o, [('atten_limit', 0)]), rate, work)
            self.quell_latency[rate] = lag
        return self.quell_latency[rate]

    def quell_file(self, noisy, out, rate, work):
        if self.quell_host == 'quell-process':
            sets = [arg for symbol, value in self.quell_controls for arg in ('--set', f'{symbol}={value:g}')]
            self._run([self.quell_process, '--quiet'] + sets + [noisy, out])
            return
        # lv2apply keeps the plugin's delay: feed `latency` extra zeros and drop as many samples.
        latency = self.measure_quell_latency(rate, work)
        x, _ = read_mono(noisy)
        with tempfile.TemporaryDirectory(dir=work) as tmp:
            padded = os.path.join(tmp, 'in.wav')
            raw = os.path.join(tmp, 'out.wav')
            sf.write(padded, np.concatenate([x, np.zeros(latency)]), rate, subtype='FLOAT')
            self.lv2apply_raw(padded, raw, self.quell_controls)
            y, _ = read_mono(raw)
        sf.write(out, y[latency:latency + len(x)], rate, subtype='FLOAT')


def measure_delay(process, rate, work):
    """Delay in samples of `process(in_path, out_path)` (an uncompensated processor), from the
    cross-correlation of one second of seeded white noise with the output."""
    noise = np.random.default_rng(5).standard_normal(rate) * 0.1
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        src = os.path.join(tmp, 'noise.wav')
        dst = os.path.join(tmp, 'out.wav')
        sf.write(src, noise, rate, subtype='FLOAT')
        process(src, dst)
        y, _ = read_mono(dst)
    return xcorr_lag(noise, y, rate // 10)


def audio_key(x, rate):
    digest = hashlib.sha1(np.ascontiguousarray(x, dtype='<f4').tobytes())
    digest.update(str(int(rate)).encode())
    return digest.hexdigest()


class DnsmosCache:
    """DNSMOS results by audio content, kept across runs (the model and meter do not change)."""

    VERSION = 'dnsmos-p835-v1'

    def __init__(self, path):
        self.path = path
        self.entries = {}
        if os.path.isfile(path):
            try:
                with open(path) as f:
                    data = json.load(f)
                if data.get('version') == self.VERSION:
                    self.entries = data.get('entries', {})
            except (OSError, ValueError):
                self.entries = {}

    def save(self):
        tmp = self.path + '.part'
        with open(tmp, 'w') as f:
            json.dump({'version': self.VERSION, 'entries': self.entries}, f)
        os.replace(tmp, self.path)

    def score(self, paths, jobs):
        """DNSMOS of each file, computing only the ones not cached."""
        keys, missing = [], []
        for path in paths:
            x, rate = read_mono(path)
            # The resampler to 16 kHz changes the score, so it is part of the key for other rates.
            key = audio_key(x, rate) + ('' if rate == dnsmos.RATE else '-' + dnsmos.resampler_name())
            keys.append(key)
            if key not in self.entries and key not in [k for k, _ in missing]:
                missing.append((key, path))
        for start in range(0, len(missing), DNSMOS_BATCH_CLIPS):
            batch = missing[start:start + DNSMOS_BATCH_CLIPS]
            results = dnsmos.score_files([p for _, p in batch], jobs=jobs)
            for (key, _), result in zip(batch, results):
                self.entries[key] = result
            self.save()
            print(f'  DNSMOS {min(start + DNSMOS_BATCH_CLIPS, len(missing))}/{len(missing)} new clips',
                  flush=True)
        return [self.entries[k] for k in keys]


def run_system(system, items, set_dir, processors, jobs, work):
    """Output paths (one per item) for `system`, produced in parallel."""
    if system == 'noisy':
        return [item.noisy for item in items]
    if system == 'clean':
        return [item.clean for item in items]
    out_dir = os.path.join(set_dir, system)
    os.makedirs(out_dir, exist_ok=True)
    outputs = [os.path.join(out_dir, item.name + '.wav') for item in items]
    if system in ('quell', 'quell_clean') and processors.quell_host == 'lv2apply' and items:
        processors.measure_quell_latency(items[0].rate, work)  # once, before the pool starts

    if system in RNNOISE_MODELS:
        # One node process per job, each on an interleaved share of the items.
        shares = [(items[j::jobs], outputs[j::jobs]) for j in range(max(1, jobs)) if items[j::jobs]]
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(lambda share: processors.rnnoise_files(system, [i.noisy for i in share[0]], share[1],
                                                                 work), shares))
        return outputs

    def one(pair):
        item, out = pair
        if system == 'speex':
            processors.speex_file(item.noisy, out)
        elif system in ORACLE_POWERS:
            processors.oracle_file(item, out, ORACLE_POWERS[system])
        elif system in ON_CLEAN_SYSTEMS:
            processors.quell_file(item.clean, out, item.rate, work)
        else:
            processors.quell_file(item.noisy, out, item.rate, work)

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, zip(items, outputs)))
    return outputs


def clean_through_scores(items, set_dir, processors, systems, jobs, work, cache):
    """Speech distortion alone: each processing system run on the clean references (no noise
    added), scored against them. A denoiser should leave clean speech nearly untouched: returns
    {system: {'si_sdr', 'stoi', 'level_db', 'OVRL', 'count'}} (level_db: output minus input
    energy; OVRL: DNSMOS of the output), plus the references' own DNSMOS under 'clean'."""
    cleans = {}
    for item in items:
        cleans.setdefault(item.clean, Item(os.path.splitext(os.path.basename(item.clean))[0], item.clean,
                                           item.clean, item.rate))
    refs = list(cleans.values())
    table = {}
    for system in systems:
        if system == 'noisy' or system in BOUND_SYSTEMS or system in ON_CLEAN_SYSTEMS:
            continue
        outputs = run_system(system, refs, os.path.join(set_dir, 'clean-through'), processors, jobs, work)
        rows = []
        for ref, out in zip(refs, outputs):
            x, rate = read_mono(ref.clean)
            y, _ = read_mono(out)
            rows.append((metrics.si_sdr(x, y), metrics.stoi(x, y, rate),
                         10 * np.log10((np.sum(y ** 2) + metrics.EPS) / (np.sum(x ** 2) + metrics.EPS))))
        values = np.array(rows)
        quality = cache.score(outputs, jobs)
        table[system] = dict(si_sdr=mean(values[:, 0]), stoi=mean(values[:, 1]), level_db=mean(values[:, 2]),
                             OVRL=mean([q['OVRL'] for q in quality]), count=len(rows))
    if table:
        quality = cache.score([ref.clean for ref in refs], jobs)
        table['clean'] = dict(si_sdr=None, stoi=1.0, level_db=0.0,
                              OVRL=mean([q['OVRL'] for q in quality]), count=len(refs))
    return table


def clean_through_lines(table):
    if not table:
        return []
    lines = ['| system on the clean reference | SI-SDR dB | STOI | level change dB | DNSMOS OVRL |',
             '|---|---|---|---|---|']
    for system, r in table.items():
        if system == 'clean':
            lines.append(f"| (the clean reference itself) | ∞ | 1.000 | +0.00 | {r['OVRL']:.2f} |")
            continue
        lines.append(f"| {SYSTEM_LABELS[system]} | {r['si_sdr']:.2f} | {r['stoi']:.3f} | {r['level_db']:+.2f} | "
                     f"{r['OVRL']:.2f} |")
    return lines


def intrusive_scores(item, output, on_clean=False):
    """SI-SDR, STOI and the residual alignment lag of one output against its clean reference (the
    lag against the input it was made from: the noisy file, or the clean one when `on_clean`)."""
    clean, rate = read_mono(item.clean)
    noisy, _ = read_mono(item.clean if on_clean else item.noisy)
    test, test_rate = read_mono(output)
    if test_rate != rate:
        raise RuntimeError(f'{output}: rate {test_rate} Hz, expected {rate} Hz')
    if len(test) != len(noisy):
        raise RuntimeError(f'{output}: {len(test)} samples, the input has {len(noisy)}')
    return {
        'si_sdr': metrics.si_sdr(clean, test),
        'stoi': metrics.stoi(clean, test, rate),
        'lag': xcorr_lag(noisy, test, int(ALIGN_SEARCH_SECONDS * rate)),
    }


def mean(values):
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else float('nan')


def summarise(per_item):
    return {key: mean([r[key] for r in per_item]) for key in ('si_sdr', 'stoi', 'SIG', 'BAK', 'OVRL')}


def table_lines(set_name, summaries, delays, count):
    lines = ['| system | STOI | SI-SDR dB | DNSMOS OVRL | SIG | BAK | delay ms |',
             '|---|---|---|---|---|---|---|']
    for system, s in summaries.items():
        delay = delays.get(system)
        delay_text = '–' if delay is None else f'{delay:.1f}'
        si_sdr = '∞' if system == 'clean' else f"{s['si_sdr']:.2f}"
        lines.append(f"| {SYSTEM_LABELS[system]} | {s['stoi']:.3f} | {si_sdr} | {s['OVRL']:.2f} | "
                     f"{s['SIG']:.2f} | {s['BAK']:.2f} | {delay_text} |")
    if set_name == 'mix48' and count == 40:
        for row in ISSUE_REFERENCE_ROWS:
            lines.append('| ' + ' | '.join(row[:1] + (row[1], row[2], row[5], row[3], row[4], row[6])) + ' |')
    return lines


def grouped_lines(items, results, systems, group_of, heading):
    """Rows of per-group means (STOI / SI-SDR / OVRL per system), one row per value of
    group_of(item) in sorted order; items whose group is None are left out."""
    groups = sorted({group_of(item) for item in items} - {None})
    systems = [s for s in systems if s != 'clean']
    if not groups:
        return []
    header = f'| {heading} | n | ' + ' | '.join(f'{SYSTEM_LABELS[s]} STOI / SI-SDR / OVRL' for s in systems) + ' |'
    lines = [header, '|---|---|' + '---|' * len(systems)]
    for group in groups:
        idx = [i for i, item in enumerate(items) if group_of(item) == group]
        cells = []
        for s in systems:
            rows = [results[s][i] for i in idx]
            cells.append(f"{mean([r['stoi'] for r in rows]):.3f} / {mean([r['si_sdr'] for r in rows]):.2f} / "
                         f"{mean([r['OVRL'] for r in rows]):.2f}")
        lines.append(f'| {group} | {len(idx)} | ' + ' | '.join(cells) + ' |')
    return lines


VERSUS_METERS = (('stoi', 'STOI'), ('si_sdr', 'SI-SDR'), ('OVRL', 'OVRL'), ('BAK', 'BAK'))


def versus_lines(items, results, system, peer, group_of, heading, with_all=True):
    """Quell against a peer measured in the same run, on the four meters issue 20 judges by
    (STOI, SI-SDR, DNSMOS OVRL and BAK): a row for all items, then one per value of group_of(item),
    each naming the meters where `system` is ahead (strictly), and a closing line counting the
    groups where it is ahead on all four. Without with_all, no row for all items. Empty when
    either system was not run."""
    if system not in results or peer not in results:
        return []
    groups = sorted({group_of(item) for item in items} - {None})
    lines = [f'| {heading} | n | {SYSTEM_LABELS[system]} STOI / SI-SDR / OVRL / BAK | '
             f'{SYSTEM_LABELS[peer]} STOI / SI-SDR / OVRL / BAK | ahead on |', '|---|---|---|---|---|']
    wins = []
    for group in (['all'] if with_all else []) + groups:
        idx = [i for i, item in enumerate(items) if group == 'all' or group_of(item) == group]
        means = {s: [mean([results[s][i][key] for i in idx]) for key, _ in VERSUS_METERS]
                 for s in (system, peer)}
        ahead = [label for (key, label), a, b in zip(VERSUS_METERS, means[system], means[peer]) if a > b]
        if group != 'all':
            wins.append((group, len(ahead) == len(VERSUS_METERS)))
        cells = [' / '.join(f'{v:.3f}' if k == 'stoi' else f'{v:.2f}' for (k, _), v in zip(VERSUS_METERS, means[s]))
                 for s in (system, peer)]
        verdict = 'all four' if len(ahead) == len(VERSUS_METERS) else (', '.join(ahead) or 'none')
        lines.append(f'| {group} | {len(idx)} | {cells[0]} | {cells[1]} | {verdict} |')
    if groups:
        lines += ['', f'Ahead on all four in {sum(w for _, w in wins)} of {len(wins)} groups'
                  + (': ' + ', '.join(str(g) for g, w in wins if w) if any(w for _, w in wins) else '') + '.']
    return lines


def voice_interferer_group(item):
    """'other voices' when the item's noise recording is dominated by people talking, laughing or
    playing (its name holds one of VOICE_INTERFERER_WORDS), else
    'other noise'. Such interferers are speech-like, so a band-gain estimator has to tell the
    talker from the crowd: the split shows where a set's DNSMOS is lost (model/HISTORY.md)."""
    if item.noise is None:
        return None
    voiced = any(word in item.noise.lower() for word in VOICE_INTERFERER_WORDS)
    return 'other voices' if voiced else 'other noise'


def spectrogram_png(path, title, panels, rate):
    """Stacked log-magnitude spectrograms (same colour scale) of (label, signal) panels."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from scipy.signal import stft

    nfft = 1 << int(np.ceil(np.log2(rate * 0.032)))  # ~32 ms frames at any rate
    specs = []
    for label, x in panels:
        f, t, z = stft(x, fs=rate, nperseg=nfft, noverlap=nfft * 3 // 4)
        specs.append((label, f, t, 20 * np.log10(np.abs(z) + 1e-9)))
    top = max(s[3].max() for s in specs)
    fig, axes = plt.subplots(len(specs), 1, figsize=(10, 2.2 * len(specs)), sharex=True, sharey=True,
                             layout='constrained')
    for ax, (label, f, t, db) in zip(np.atleast_1d(axes), specs):
        mesh = ax.pcolormesh(t, f / 1000.0, db, vmin=top - 90, vmax=top, shading='auto', cmap='magma')
        ax.set_ylabel('kHz')
        ax.set_title(label, fontsize=9, loc='left')
    np.atleast_1d(axes)[-1].set_xlabel('seconds')
    fig.suptitle(title, fontsize=10)
    fig.colorbar(mesh, ax=axes, label='dB', shrink=0.6)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def pick_spectrogram_items(items, count):
    """A few items at low, middle and higher SNR (the interesting range for a denoiser)."""
    wanted = [0, 5, 10]
    picks = []
    for snr in wanted:
        for item in items:
            if item.snr == snr and item not in picks:
                picks.append(item)
                break
    for item in items:
        if len(picks) >= count:
            break
        if item not in picks:
            picks.append(item)
    return picks[:count]


def pick_transient_items(items, noises):
    """One item per noise class in `noises` (in that order): the one whose SNR is nearest 5 dB,
    where the noise is loud against the speech yet the speech still clearly there."""
    picks = []
    for noise in noises:
        candidates = [item for item in items if item.noise == noise and item.snr is not None]
        if candidates:
            picks.append(min(candidates, key=lambda item: (abs(item.snr - 5), item.name)))
    return picks


def git_describe():
    try:
        return subprocess.run(['git', '-C', REPO, 'describe', '--always', '--dirty'], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True).stdout.strip() or 'unknown'
    except OSError:
        return 'unknown'


def file_sha256(path):
    if not os.path.isfile(path):
        return None
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--shared', default=os.environ.get('QUELL_SHARED', os.path.join(REPO, '..', 'shared')))
    parser.add_argument('--build', default=os.path.join(REPO, 'build'))
    parser.add_argument('--out', default=None, help='output folder (default BUILD/eval)')
    parser.add_argument('--limit', type=int, default=0, help='items per set, spread evenly (0 = all)')
    parser.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    parser.add_argument('--systems', default=','.join(ALL_SYSTEMS))
    parser.add_argument('--sets', default=','.join(ALL_SETS))
    parser.add_argument('--spectrograms', type=int, default=3, help='items per set drawn as PNG')
    parser.add_argument('--quell-set', action='append', default=[], metavar='SYMBOL=VALUE',
                        help='set a Quell control (repeatable; default: the plugin defaults)')
    parser.add_argument('--quell-host', choices=('auto', 'quell-process', 'lv2apply'), default='auto',
                        help='how the plugin is hosted (auto: quell-process when built, else lv2apply)')
    args = parser.parse_args(argv)

    systems = [s for s in args.systems.replace(' ', ',').split(',') if s]
    sets = [s for s in args.sets.replace(' ', ',').split(',') if s]
    for s in systems:
        if s not in ALL_SYSTEMS:
            sys.exit(f'eval.py: unknown system {s!r} (known: {", ".join(ALL_SYSTEMS)})')
    for s in sets:
        if s not in ALL_SETS:
            sys.exit(f'eval.py: unknown set {s!r} (known: {", ".join(ALL_SETS)})')
    shared = os.path.abspath(args.shared)
    if not os.path.isdir(os.path.join(shared, 'data', 'dev')):
        sys.exit(f'eval.py: {shared}/data/dev not found (set QUELL_SHARED to the shared folder)')
    work = os.path.abspath(args.out or os.path.join(args.build, 'eval'))
    png_dir = os.path.join(work, 'spectrograms')
    os.makedirs(png_dir, exist_ok=True)
    for old_png in os.listdir(png_dir):  # the report links only this run's pictures
        if old_png.endswith('.png'):
            os.remove(os.path.join(png_dir, old_png))

    env = dict(os.environ)
    # LV2_PATH holds only a link to the built bundle: never an installed Quell, and lilv does not
    # scan (and complain about) every other folder of the build tree.
    lv2_dir = os.path.join(work, 'lv2')
    os.makedirs(lv2_dir, exist_ok=True)
    link = os.path.join(lv2_dir, 'quell.lv2')
    if os.path.islink(link) or os.path.exists(link):
        os.remove(link)
    os.symlink(os.path.abspath(os.path.join(args.build, 'quell.lv2')), link)
    env['LV2_PATH'] = lv2_dir
    controls = []
    for setting in args.quell_set:
        symbol, sep, value = setting.partition('=')
        if not sep or not symbol:
            sys.exit(f'eval.py: --quell-set expects SYMBOL=VALUE, got {setting!r}')
        controls.append((symbol.strip(), float(value)))
    processors = Processors(args.build, env, args.quell_host, controls)
    if controls:
        SYSTEM_LABELS['quell'] = 'Quell (' + ', '.join(f'{k}={v:g}' for k, v in controls) + ')'
    problems = processors.check(systems)
    dnsmos_problem = dnsmos.check_available()
    if dnsmos_problem:
        problems.append(dnsmos_problem)
    if problems:
        sys.exit('eval.py: cannot run:\n  ' + '\n  '.join(problems))
    cache = DnsmosCache(os.path.join(work, 'dnsmos-cache.json'))
    started = time.time()

    # System delays: each processor's uncompensated path on white noise.
    delays_by_rate = {}
    report_sets = []
    all_results = {}
    for set_name in sets:
        set_started = time.time()
        items = paired_items(shared, set_name) if set_name in PAIRED_48K_SETS else noizeus_items(shared, work)
        items = evenly_spaced(items, args.limit)
        if set_name == 'noizeus':
            prepare_noizeus(items)
        rate = items[0].rate
        if rate not in delays_by_rate:
            delays = {}
            if 'speex' in systems:
                delays['speex'] = measure_delay(lambda i, o: processors.speex_file(i, o, compensate=False),
                                                rate, work) * 1000.0 / rate
            for system in systems:
                if system in ('quell', 'quell_clean'):
                    delays[system] = processors.measure_quell_latency(rate, work) * 1000.0 / rate
                elif system in RNNOISE_MODELS:
                    delays[system] = processors.measure_rnnoise_delay(system) * 1000.0 / RNNOISE_RATE
            delays_by_rate[rate] = delays
        delays = delays_by_rate[rate]
        set_dir = os.path.join(work, set_name)
        print(f'{set_name}: {len(items)} items at {rate} Hz', flush=True)
        results, outputs_by_system = {}, {}
        for system in systems:
            t0 = time.time()
            outputs = run_system(system, items, set_dir, processors, args.jobs, work)
            outputs_by_system[system] = outputs
            with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
                scores = list(pool.map(intrusive_scores, items, outputs, [system in ON_CLEAN_SYSTEMS] * len(items),
                                       chunksize=8))
            t1 = time.time()
            quality = cache.score(outputs, args.jobs)
            results[system] = [dict(name=item.name, snr=item.snr, noise=item.noise, **sc,
                                    **{k: q[k] for k in ('SIG', 'BAK', 'OVRL')})
                               for item, sc, q in zip(items, scores, quality)]
            print(f'  {system}: processed+STOI/SI-SDR {t1 - t0:.1f} s, DNSMOS {time.time() - t1:.1f} s',
                  flush=True)
        summaries = {s: summarise(results[s]) for s in systems}
        misaligned = {s: sum(1 for r in results[s] if r['lag'] != 0) for s in systems}
        pngs = []
        if args.spectrograms:
            if set_name == 'wild48':
                # Transient noises, where a 10 ms-hop gain estimator has to react within a frame.
                picks = pick_transient_items(items, TRANSIENT_NOISES)
                panel_systems = [s for s in TRANSIENT_PANELS if s in systems or s == 'clean']
            else:
                picks = pick_spectrogram_items(items, args.spectrograms)
                panel_systems = ['clean'] + [s for s in systems if s != 'clean' and s not in ON_CLEAN_SYSTEMS]
            for item in picks:
                i = items.index(item)
                panels = []
                for s in panel_systems:
                    if s == 'clean':
                        panels.append(('clean', read_mono(item.clean)[0]))
                        continue
                    r = results[s][i]
                    panels.append((f"{SYSTEM_LABELS[s]}: STOI {r['stoi']:.3f}, SI-SDR {r['si_sdr']:.1f} dB, "
                                   f"OVRL {r['OVRL']:.2f}", read_mono(outputs_by_system[s][i])[0]))
                png = os.path.join(work, 'spectrograms', f'{set_name}_{item.name}.png')
                snr_text = f', SNR {item.snr} dB' if item.snr is not None else ''
                spectrogram_png(png, f'{set_name} {item.name} ({item.noise}{snr_text})', panels, item.rate)
                pngs.append(png)
        table = table_lines(set_name, summaries, delays, len(items))
        by_voices = grouped_lines(items, results, systems, voice_interferer_group, 'interferer')
        if len({voice_interferer_group(item) for item in items} - {None}) < 2:
            by_voices = []  # no recording of other people's voices in this set (wild48): nothing to split
        by_snr = grouped_lines(items, results, systems, lambda item: item.snr, 'SNR dB')
        by_noise = grouped_lines(items, results, systems, lambda item: item.noise, 'noise')
        versus = []
        if 'quell' in results and 'rnnoise01' in results:
            versus = versus_lines(items, results, 'quell', 'rnnoise01', lambda item: item.noise, 'noise')
            if versus:
                versus += [''] + versus_lines(items, results, 'quell', 'rnnoise01', lambda item: item.snr,
                                              'SNR dB', with_all=False)
        print()
        print(f'### {set_name} ({len(items)} items, {rate} Hz)')
        print('\n'.join(table))
        print()
        for heading, lines in (('By noise (STOI / SI-SDR dB / DNSMOS OVRL):', by_noise),
                               ('By input SNR (STOI / SI-SDR dB / DNSMOS OVRL):', by_snr),
                               ('Other people\'s voices against the rest:', by_voices),
                               ('Quell against RNNoise 0.1, same run (STOI / SI-SDR dB / OVRL / BAK):', versus)):
            if lines:
                print(heading)
                print('\n'.join(lines))
                print()
        clean_through = clean_through_scores(items, set_dir, processors, systems, args.jobs, work, cache)
        if clean_through:
            print('\n'.join(clean_through_lines(clean_through)))
            print()
        report_sets.append(dict(name=set_name, items=items, rate=rate, table=table, results=results,
                                misaligned=misaligned, pngs=pngs, seconds=time.time() - set_started,
                                by_snr=by_snr, by_noise=by_noise, by_voices=by_voices, versus=versus,
                                clean_through=clean_through_lines(clean_through)))
        all_results[set_name] = dict(rate=rate, delays_ms=delays, summary=summaries, items=results,
                                     clean_through=clean_through)

    with open(os.path.join(work, 'results.json'), 'w') as f:
        json.dump(all_results, f, indent=1)
    write_report(os.path.join(work, 'report.md'), report_sets, systems, processors, args, shared,
                 time.time() - started)
    print(f'wrote {os.path.relpath(os.path.join(work, "report.md"), os.getcwd())} '
          f'({time.time() - started:.0f} s)')
    bad = [f'{r["name"]}/{s}: {n} items' for r in report_sets for s, n in r['misaligned'].items()
           if n and s != 'noisy']
    if bad:
        print('warning: outputs not sample-aligned with their input: ' + ', '.join(bad))
    return 0


def write_report(path, report_sets, systems, processors, args, shared, seconds):
    blob = os.environ.get('QUELL_MODEL') or os.path.join(processors.bundle, 'quell.qwb')
    lines = ['# Quell quality evaluation', '',
             f'Generated by `make eval` (model/eval.py) on {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, '
             f'commit `{git_describe()}`, in {seconds / 60:.1f} min.', '']
    if 'quell' in systems:
        digest = file_sha256(blob)
        lines += [f'- Quell: the built LV2 bundle `{os.path.relpath(processors.bundle, REPO)}` '
                  f'(mono URI) hosted through lilv by `{processors.quell_host}`, '
                  + (', '.join(f'{k}={v:g}' for k, v in processors.quell_controls) or 'default controls')
                  + '; weights '
                  f'`{os.path.relpath(blob, REPO)}`' + (f' (sha256 {digest[:16]}…)' if digest else '') + '.']
        if processors.quell_host == 'lv2apply':
            lines.append('  lv2apply keeps the plugin delay; it was measured (white noise, attenuation '
                         'limit 0 dB) and removed from the output here.')
    if 'speex' in systems:
        lines.append('- speexdsp preprocessor (Debian libspeexdsp; denoise on, default -15 dB suppression, '
                     'AGC/VAD/dereverb off, 20 ms frames at the file rate) through `build/host-test/speex_denoise`, '
                     'output compensated by its one-frame delay.')
    if 'quell_clean' in systems:
        lines.append('- "Quell on the clean reference": the plugin run on each item\'s clean file, scored '
                     'against it (the speech damage Quell does where there is no noise to remove).')
    if any(s in RNNOISE_MODELS for s in systems):
        lines.append('- RNNoise, the peer: the npm WASM builds of RNNoise 0.1 (`@jitsi/rnnoise-wasm` '
                     '`dist/rnnoise.wasm`, the same output as `@echogarden/rnnoise-wasm`) and 0.2 (2024; '
                     '`dist/rnnoise-sync.js`) run by `model/rnnoise_denoise.cjs` at 48 kHz on 480-sample frames, '
                     'input scaled to the 16-bit range and back, its delay ('
                     + ', '.join(f'{SYSTEM_LABELS[s]} {processors.rnnoise_delay[s]} samples'
                                 for s in systems if s in processors.rnnoise_delay)
                     + ' at 48 kHz, measured by cross-correlation) removed; files at other rates resampled '
                     'to 48 kHz and back (scipy resample_poly).')
    if any(s in BOUND_SYSTEMS for s in systems):
        lines.append('- Bounds, not denoisers: "clean reference" scores the clean file itself; "ideal band '
                     'gains" is the noisy input filtered with the exact band gains sqrt(E_clean / E_noisy) '
                     '(known only with the clean file at hand) through the engine\'s own filterbank '
                     '(`quell_train_apply_gains`), "ideal Wiener band gains" the same with E_clean / E_noisy '
                     '(the least-squares band gains, which the shipped model\'s second stage is trained '
                     'toward): what perfect estimators of Quell\'s band gains would output.')
    lines += ['- Meters: SI-SDR and STOI (Taal et al. 2011) from `model/metrics.py`; DNSMOS P.835 '
              f'(`{os.path.relpath(os.path.join(shared, "data", "dnsmos", "sig_bak_ovr.onnx"), REPO)}`, '
              f'16 kHz ({dnsmos.resampler_name()} resampling), 9.01 s windows, 1 s hop, published polynomial '
              'mapping) from `model/dnsmos.py`, the same processing as `../shared/meters/dnsmos.py`. '
              'All values are means over the items.',
              '- Delay: each system\'s algorithmic delay, measured on its uncompensated output by '
              'cross-correlation with its input (white noise); the scored outputs are compensated '
              'and each was checked to be sample-aligned with its input.', '']
    for r in report_sets:
        title = {'mix48': 'dev/mix48 (48 kHz)', 'wild48': 'dev/wild48 (48 kHz, UrbanSound8K noises)'}.get(
            r['name'], 'dev/noizeus (8 kHz, upsampled to 16 kHz)')
        lines += [f'## {title}: {len(r["items"])} items', '']
        if r['name'] == 'noizeus':
            lines += ['Quell runs at 16..192 kHz only, so clean and noisy NOIZEUS files were upsampled from '
                      '8 kHz to 16 kHz (scipy polyphase) and every system was run and scored at 16 kHz. '
                      'There is no content above 4 kHz.', '']
        lines += r['table'] + ['']
        if r['name'] == 'mix48' and len(r['items']) == 40:
            lines += ['The last two rows are the figures quoted in issue 5 for the same set '
                      '(measured elsewhere with the same kinds of meters), for comparison.', '']
        if r['by_snr']:
            lines += ['By input SNR (STOI / SI-SDR dB / DNSMOS OVRL):', ''] + r['by_snr'] + ['']
        if r['by_noise']:
            lines += [('By noise class' if r['name'] == 'wild48' else 'By noise recording')
                      + ' (STOI / SI-SDR dB / DNSMOS OVRL):', ''] + r['by_noise'] + ['']
        if r['by_voices']:
            lines += ['Noises of other people\'s voices (named ' + ', '.join(VOICE_INTERFERER_WORDS)
                      + ') against the rest (STOI / SI-SDR dB / DNSMOS OVRL):', ''] + r['by_voices'] + ['']
        if r.get('versus'):
            lines += ['Quell against RNNoise 0.1 measured in the same run, on the four meters issue 20 '
                      'judges by (means; "ahead on" names the meters where Quell is strictly higher):',
                      ''] + r['versus'] + ['']
        if r['clean_through']:
            lines += ['Speech distortion alone: the processors run on the clean references themselves '
                      '(no noise added), scored against them:', ''] + r['clean_through'] + ['']
        bad = {s: n for s, n in r['misaligned'].items() if n and s != 'noisy'}
        if bad:
            lines += ['**Alignment warning**: outputs whose cross-correlation with the input peaks away '
                      'from lag 0: ' + ', '.join(f'{s} {n}' for s, n in bad.items()), '']
        for png in r['pngs']:
            rel = os.path.relpath(png, os.path.dirname(path))
            lines += [f'![{os.path.basename(png)}]({rel})', '']
    if args.limit:
        lines += [f'Quick run: at most {args.limit} items per set (`EVAL_LIMIT={args.limit}`), spread evenly.', '']
    with open(path, 'w') as f:
        f.write('\n'.join(lines))


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except RuntimeError as err:  # a processor or meter failed: its message says which and why
        sys.exit(f'eval.py: {err}')
