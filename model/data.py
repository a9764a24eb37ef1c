"""data.py — training data for Quell: source lists, augmented mixing, and a feature cache.

Every feature and band energy comes from the C engine (model/quell_dsp.py); this file only
decides *what* audio the engine analyses. One clip = T frames of one mixture, analysed at one
sample rate, starting from zero state (as the plugin does at instantiate).

Sources (paths relative to the shared data folder, ../shared/data by default), each pool drawn
by folder group with the shares in POOL_SHARES (not by file count: noise/urban's 1,361 short clips
or the 2,232 Asterisk prompts would otherwise crowd out everything else):
  speech, 16 kHz    speech/librispeech, speech/emodb, speech/keywords, and the Asterisk studio
                    prompts of get-debian-speech.sh (en, es, fr, ru voices; G.722, decoded by
                    Debian's ffmpeg; the Italian prompts are reserved and never listed)
  speech, full band tuxpaint read descriptions from get-debian-speech.sh (model/cache/debian-speech,
                    44.1 kHz), every language except bg, lt, nl, ml (reserved for evaluation), and
                    speech/ravdess actors 01-20 (48 kHz; actors 21-24 are dev/wild48's); absent ->
                    skipped
  noise             noise/ambient/* except playground, noise/urban/* (8 street classes, many
                    transient), noise/nonspeech, noise/keyboard, noise/household; never
                    noise/street_cafe, never dev/
  synthetic noise   white/pink/brown, mains hum + harmonics, hiss, fan-like tonal, and impulsive
                    transients (knocks, claps, clicks, keyboard-like bursts), full band

Targets per frame and band: ideal gain g = sqrt(E_clean / E_noisy) clipped to [0, 1], stored as
-1 where it is unknown (masked in the loss): bands above the analysis Nyquist, bands above a
band-limited speech source's Nyquist while speech is active (we do not know its highs), and
bands where the mixture is digital silence. VAD = clean frame energy within 35 dB of the clip's
loudest clean frame (-1 = masked: speech-free clips with no speech at all are a clean 0).

Cache layout (model/cache/<name>/): float16 .npy arrays feats [N, T, nfeat], gains [N, T, nb],
vad [N, T], and meta.json (config, seed, clip count, source folders and minutes).

    /usr/bin/python3 model/data.py --out model/cache/train --clips 5000 --seed 1
"""
import argparse
import glob
import json
import math
import multiprocessing as mp
import os
import sys
import time
from fractions import Fraction

import numpy as np
import scipy.signal as sps
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quell_dsp  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data"))
DEFAULT_DEBIAN = os.path.join(HERE, "cache", "debian-speech")

SPEECH16_DIRS = ["speech/librispeech", "speech/emodb", "speech/keywords"]
TUXPAINT_HELD_OUT = {"bg", "lt", "nl", "ml"}
RAVDESS_HELD_OUT = {"Actor_21", "Actor_22", "Actor_23", "Actor_24"}  # dev/wild48's speakers
NOISE_DIRS_EXCLUDED = {"noise/ambient/playground", "noise/street_cafe"}
AUDIO_EXT = (".flac", ".opus", ".ogg", ".wav", ".g722")
# Each pool's draw, by folder group: (group prefix, share of the pool, split); a folder belongs to
# the first group whose prefix it matches. A group's share is
# spread over its files, or with split=True first evenly over its sub-folders (one voice or one
# street-noise class with many files does not crowd out the others). Groups that are absent (no
# Debian speech cache) leave the others' shares renormalised.
POOL_SHARES = {
    "speech16": [("speech/librispeech", 0.35, False), ("speech/emodb", 0.15, False),
                 ("speech/keywords", 0.15, False), ("asterisk", 0.35, True)],
    # tuxpaint's share is the larger: at 0.5 (recipe 6) the model turned down the voices of that
    # recording chain (dev/mix48's clean references lost 0.94 dB, STOI 0.986 through it).
    "speechwb": [("tuxpaint", 0.7, False), ("speech/ravdess", 0.3, False)],
    # Other people's voices keep the share they had when drawn by file (110 of 580 files until
    # recipe 6): at 11 % (recipe 6) the model lost up to 1 dB SI-SDR on NOIZEUS's babble,
    # exhibition and train noises and on dev/mix48's cafe and playground items.
    "noise": [("noise/ambient/babble", 0.18, False), ("noise/ambient", 0.30, False),
              ("noise/urban", 0.27, True), ("noise/nonspeech", 0.08, False),
              ("noise/keyboard", 0.07, False), ("noise/household", 0.10, False)],
}

# Feature/model configuration of the shipped model (the engine defaults except 40 bands: more
# resolution between 700 Hz and 4 kHz, where speech harmonics and most noise energy sit).
SHIPPED_BANDS = 40
FRAMES_PER_CLIP = 1000  # 5 s at a 5 ms hop
RATES = [(48000, 0.70), (44100, 0.10), (32000, 0.10), (16000, 0.10)]
# Bumped whenever make_clip's recipe changes: --reuse then rebuilds instead of keeping clips
# mixed by older code.
RECIPE_VERSION = 8
# Band-limited real noise given synthetic highs (extend_noise_highs). 0.8 until recipe 5: the model
# then rarely met full-band speech over noise that stops at 8-11 kHz (real street recordings at
# 16/22.05 kHz, dev/wild48), and removed less there at 48 kHz than at 16 kHz (issue 20).
EXTEND_NOISE_P = 0.5
WIDEBAND_SPEECH_P = 0.65  # full-band speech (tuxpaint, RAVDESS) rather than 16 kHz speech
# Extra draws from -5..10 dB on top of the uniform -5..30 dB (0.15 until recipe 5): at -5 dB the
# recipe-5 model left far more noise in than RNNoise v0.1 on dev/wild48 (issue 20).
LOW_SNR_P = 0.3
SPEECH_ONLY_P = 0.15   # clean speech: the model must learn to leave it alone (0.10 until
                       # recipe 6, which turned clean voices down more than recipe 5)
BANDLIMIT_P = 0.20     # whole mixture low-passed 3.4..8 kHz (old recorders, codecs, telephone)
TELEPHONE_P = 0.5      # of those, narrowband telephone instead: 200..400 Hz to 3.2..3.8 kHz, the
                       # band of 8 kHz-sampled calls and of NOIZEUS's IRS-filtered speech


def shipped_config():
    cfg = quell_dsp.default_config()
    cfg.nb_bands = SHIPPED_BANDS
    cfg.nfeat = 3 * SHIPPED_BANDS  # band energies, normalised copy, pitch correlation
    return cfg


# ----------------------------------------------------------------------------------- sources
def list_sources(data_dir=DEFAULT_DATA, debian_dir=DEFAULT_DEBIAN):
    """Returns ({"speech16": [...], "speechwb": [...], "noise": [...]} lists of file paths, the
    folders they came from). Held-out material is never listed."""
    def files(d):
        out = []
        for root, _, names in os.walk(d):
            out += [os.path.join(root, n) for n in names if n.lower().endswith(AUDIO_EXT)]
        return sorted(out)

    lists = {"speech16": [], "speechwb": [], "noise": []}
    folders = {"speech16": [], "speechwb": [], "noise": []}

    def add(pool, folder, path):
        got = files(path)
        if got:
            lists[pool] += got
            folders[pool].append(folder)

    for d in SPEECH16_DIRS:
        add("speech16", d, os.path.join(data_dir, d))
    ast = os.path.join(debian_dir, "asterisk")
    if os.path.isdir(ast):
        for voice in sorted(os.listdir(ast)):
            if voice.lower().startswith("it"):  # the Italian prompts are reserved
                continue
            add("speech16", "asterisk/" + voice, os.path.join(ast, voice))
    tux = os.path.join(debian_dir, "tuxpaint")
    if os.path.isdir(tux):
        for lang in sorted(os.listdir(tux)):
            if lang.split(".")[0] in TUXPAINT_HELD_OUT:
                continue
            add("speechwb", "tuxpaint/" + lang, os.path.join(tux, lang))
    rav = os.path.join(data_dir, "speech", "ravdess")
    if os.path.isdir(rav):
        for actor in sorted(os.listdir(rav)):
            if actor not in RAVDESS_HELD_OUT:
                add("speechwb", "speech/ravdess/" + actor, os.path.join(rav, actor))
    noise_root = os.path.join(data_dir, "noise")
    if os.path.isdir(noise_root):
        cand = []
        for d in sorted(os.listdir(noise_root)):
            sub = os.path.join(noise_root, d)
            if d in ("ambient", "urban"):
                cand += [f"noise/{d}/" + c for c in sorted(os.listdir(sub))]
            elif os.path.isdir(sub):
                cand.append("noise/" + d)
        for d in cand:
            if d not in NOISE_DIRS_EXCLUDED:
                add("noise", d, os.path.join(data_dir, d))
    # Belt and braces: nothing from dev/ or a held-out folder, whatever the layout.
    for k, v in lists.items():
        lists[k] = [f for f in v if "/dev/" not in f and "/playground/" not in f
                    and "/street_cafe/" not in f
                    and not any(f"/{a}/" in f for a in RAVDESS_HELD_OUT)]
    return lists, folders


def source_folder(path, data_dir=DEFAULT_DATA, debian_dir=DEFAULT_DEBIAN):
    """The folder name list_sources records for a file (e.g. "noise/urban/siren")."""
    for root in (data_dir, debian_dir):
        rel = os.path.relpath(path, root)
        if not rel.startswith(".."):
            return os.path.dirname(rel)
    return os.path.dirname(path)


def group_folders(folders, shares):
    """([(prefix, [folders], share, split)], [rest]): each POOL_SHARES-style group (prefix,
    share, split) with the folders it owns, in order (the first matching group owns a folder;
    a group owning none is left out), and the folders no group names. pool_weights draws by
    it; model/card.py tabulates it."""
    groups, claimed = [], set()
    for prefix, share, split in shares:
        mine = [f for f in folders if f not in claimed
                and (f == prefix or f.startswith(prefix + "/"))]
        if mine:
            groups.append((prefix, mine, share, split))
            claimed.update(mine)
    return groups, [f for f in folders if f not in claimed]


def rest_share(groups):
    """What the folders no group names share between them: what the groups leave, at least
    10 % (so a new folder is never starved)."""
    return max(1.0 - sum(share for _, _, share, _ in groups), 0.1)


def pool_weights(pool, folders_of_items):
    """Per-item draw probabilities for one pool from POOL_SHARES (see there), grouped by
    group_folders: a group's share evenly by file (or by folder, then file, when it is split);
    items whose folder no group names share rest_share evenly by file."""
    w = np.zeros(len(folders_of_items))
    groups, rest = group_folders(list(dict.fromkeys(folders_of_items)),
                                 POOL_SHARES.get(pool, []))
    for _, fs, share, split in groups:
        mine = set(fs)
        idx = [i for i, f in enumerate(folders_of_items) if f in mine]
        if split:
            for sub in sorted(mine):
                sidx = [i for i in idx if folders_of_items[i] == sub]
                w[sidx] = share / len(mine) / len(sidx)
        else:
            w[idx] = share / len(idx)
    if rest:
        mine = set(rest)
        idx = [i for i, f in enumerate(folders_of_items) if f in mine]
        w[idx] = max(1.0 - w.sum(), 0.1) / len(idx)  # rest_share(groups), summed as recipe 8 drew it
    return w / w.sum() if w.sum() > 0 else w


def decode_g722(path):
    """Raw G.722 (the Asterisk prompts) to 16 kHz float32 through Debian's ffmpeg."""
    import subprocess
    try:
        out = subprocess.run(["ffmpeg", "-v", "error", "-f", "g722", "-i", path, "-ar", "16000",
                              "-ac", "1", "-f", "f32le", "-"], check=True, capture_output=True).stdout
    except FileNotFoundError:
        raise RuntimeError("ffmpeg is needed to decode the G.722 prompts (apt-get install ffmpeg)")
    return np.frombuffer(out, np.float32).copy(), 16000


def load_audio(path):
    """Mono float32 and its rate."""
    if path.lower().endswith(".g722"):
        return decode_g722(path)
    x, rate = sf.read(path, dtype="float32", always_2d=True)
    return np.ascontiguousarray(x.mean(axis=1)), rate


def _load_checked(p):
    try:
        x, r = load_audio(p)
    except Exception as e:  # an unreadable file is skipped, not fatal
        return p, None, str(e)
    if len(x) < r // 10 or not np.all(np.isfinite(x)) or np.max(np.abs(x)) < 1e-4:
        return p, None, None
    return p, (x, r), None


class Sources:
    """All source audio decoded into memory once (workers share it through fork), with each
    pool's draw probabilities (pool_weights) and minutes per folder."""

    def __init__(self, lists, verbose=True, data_dir=DEFAULT_DATA, debian_dir=DEFAULT_DEBIAN,
                 jobs=2):
        self.sets, self.weights, self.minutes, self.folder_minutes = {}, {}, {}, {}
        t0 = time.time()
        with mp.get_context("fork").Pool(jobs) as pool:
            for k, paths in lists.items():
                items = []
                for p, got, err in pool.imap(_load_checked, paths, chunksize=8):
                    if err:
                        print(f"skip {p}: {err}", file=sys.stderr)
                    if got is not None:
                        items.append((got[0], got[1], p))
                self.sets[k] = items
                # Each file's own directory, not the folder list_sources names: a split group
                # (Asterisk) is drawn evenly per prompt sub-folder (dictate/, digits/, ...), as
                # recipe 8's cache was; list_sources' per-voice folders would move 0.2 % of
                # the draws.
                folders = [source_folder(p, data_dir, debian_dir) for _, _, p in items]
                self.weights[k] = pool_weights(k, folders)
                self.minutes[k] = sum(len(x) / r for x, r, _ in items) / 60.0
                for (x, r, _), f in zip(items, folders):
                    self.folder_minutes[f] = self.folder_minutes.get(f, 0.0) + len(x) / r / 60.0
                if verbose:
                    print(f"{k}: {len(items)} files, {self.minutes[k]:.1f} min", file=sys.stderr)
        if verbose:
            print(f"decoded in {time.time() - t0:.0f} s", file=sys.stderr)

    def draw(self, rng, pool):
        """One (audio, rate, path) of a pool, drawn with the pool's POOL_SHARES weights."""
        items = self.sets[pool]
        return items[int(rng.choice(len(items), p=self.weights[pool]))]


# ------------------------------------------------------------------------------- signal bits
def resample(x, rate_in, rate_out, speed=1.0):
    """Band-limited resampling by a rational factor; speed > 1 plays faster (higher pitch)."""
    ratio = Fraction(rate_out / (rate_in * speed)).limit_denominator(160) if speed != 1.0 \
        else Fraction(int(rate_out), int(rate_in))
    if ratio == 1:
        return x.astype(np.float32)
    return sps.resample_poly(x, ratio.numerator, ratio.denominator).astype(np.float32)


def shaped_noise(rng, n, rate, slope_db_oct):
    """Gaussian noise with a power spectrum falling slope_db_oct per octave (0 white, -3 pink,
    -6 brown), full band up to Nyquist, unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / rate)
    f[0] = f[1]
    spec *= (f / 1000.0) ** (slope_db_oct / (20.0 * math.log10(2.0)))
    y = np.fft.irfft(spec, n)
    return (y / (np.std(y) + 1e-12)).astype(np.float32)


def transient_noise(rng, n, rate, kind):
    """Impulsive noise: decaying bursts at random (Poisson) times. "knocks": 0.5-4 per second,
    5-120 ms decays, each band-passed around 80 Hz-6 kHz (knocks, claps, door slams, dish
    clatter); "keys": 4-14 per second, 2-15 ms, brighter (keyboards, mouse clicks, crackle).
    Recordings hold few of these, and a model that never met an onset without a voice behind it
    lets them through (dev/wild48's dog barks, gun shots and jackhammers)."""
    y = np.zeros(n)
    keys = kind == "keys"
    per_s = rng.uniform(4.0, 14.0) if keys else rng.uniform(0.5, 4.0)
    nyq = rate / 2.0
    pos = int(rng.exponential(rate / per_s))
    while pos < n:
        tau = (rng.uniform(0.002, 0.015) if keys else
               math.exp(rng.uniform(math.log(0.005), math.log(0.12)))) * rate
        m = min(int(6 * tau) + 1, n - pos)
        burst = rng.standard_normal(m) * np.exp(-np.arange(m) / tau)
        fc = math.exp(rng.uniform(math.log(1000.0 if keys else 80.0), math.log(8000.0 if keys
                                                                              else 6000.0)))
        lo, hi = fc / rng.uniform(1.5, 4.0), min(fc * rng.uniform(1.5, 4.0), nyq * 0.95)
        if lo < hi:
            burst = sps.sosfilt(sps.butter(2, [lo, hi], "band", fs=rate, output="sos"), burst)
        y[pos:pos + m] += burst * 10 ** (rng.uniform(-20.0, 0.0) / 20) / (np.std(burst) + 1e-12)
        pos += m + int(rng.exponential(rate / per_s))
    if not np.any(y):  # no event fell inside the clip: draw again, never return an empty one
        return transient_noise(rng, n, rate, kind)
    # A faint steady floor under the events (rooms are never silent between knocks).
    y /= np.max(np.abs(y)) + 1e-12
    y += 10 ** (rng.uniform(-60.0, -30.0) / 20) * shaped_noise(rng, n, rate, -3.0)
    return y


def synth_noise(rng, n, rate):
    """One of the synthetic full-band noises, unit RMS."""
    kind = rng.choice(["white", "pink", "brown", "tilt", "hum", "hiss", "fan", "knocks", "keys"])
    t = np.arange(n) / rate
    if kind in ("knocks", "keys"):
        y = transient_noise(rng, n, rate, kind)
    elif kind == "white":
        y = shaped_noise(rng, n, rate, 0.0)
    elif kind == "pink":
        y = shaped_noise(rng, n, rate, -3.0)
    elif kind == "brown":
        y = shaped_noise(rng, n, rate, -6.0)
    elif kind == "tilt":
        y = shaped_noise(rng, n, rate, rng.uniform(-8.0, 3.0))
    elif kind == "hum":
        # Mains hum: 50/60 Hz and harmonics (odd ones stronger, as from rectifiers/transformers),
        # sometimes buzzing (many harmonics), with a little broadband floor.
        f0 = rng.choice([50.0, 60.0]) * rng.uniform(0.99, 1.01)
        nh = int(rng.integers(3, 40))
        y = np.zeros(n)
        decay = rng.uniform(0.0, 0.25)
        for h in range(1, nh + 1):
            if f0 * h >= rate / 2:
                break
            a = math.exp(-decay * h) * (1.5 if h % 2 else 1.0) * rng.uniform(0.3, 1.0)
            y += a * np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 2 * np.pi))
        y /= np.std(y) + 1e-12
        y += 10 ** (rng.uniform(-40, -15) / 20) * shaped_noise(rng, n, rate, -3.0)
    elif kind == "hiss":
        y = shaped_noise(rng, n, rate, rng.uniform(-1.0, 3.0))
        b, a = sps.butter(2, rng.uniform(1000.0, 5000.0) / (rate / 2), "high")
        y = sps.lfilter(b, a, y)
    else:  # fan: low-passed noise plus blade-pass tones with slow wobble
        y = shaped_noise(rng, n, rate, rng.uniform(-6.0, -2.0))
        bp = rng.uniform(60.0, 400.0)
        wob = 1.0 + 0.003 * np.sin(2 * np.pi * rng.uniform(0.1, 1.0) * t)
        ph = 2 * np.pi * bp * np.cumsum(wob) / rate
        for h in range(1, int(rng.integers(2, 8))):
            y += rng.uniform(0.2, 1.5) / h * np.sin(h * ph + rng.uniform(0, 2 * np.pi))
        if rng.random() < 0.5:
            y += 0.3 * np.sin(2 * np.pi * rng.uniform(1000, 8000) * t)  # motor whine
    y = np.asarray(y, np.float64)
    return (y / (np.std(y) + 1e-12)).astype(np.float32)


def extend_noise_highs(rng, y, src_nyq, rate):
    """Gives a band-limited real noise (most of noise/ is 16 kHz) the highs a full-band
    microphone would have caught: noise above the source's Nyquist, shaped -6..0 dB/oct, whose
    level follows the envelope (10 ms) of the source's own top band, at -15..+3 dB against it.
    Without this the model only ever met synthetic noise above 8 kHz and left real noise there
    at about -5 dB (measured on dev/mix48 noise-only frames before this augmentation)."""
    n = len(y)
    lo, hi = 0.5 * src_nyq, 0.95 * src_nyq
    top = sps.sosfilt(sps.butter(4, [lo, hi], "band", fs=rate, output="sos"), y)
    win = max(1, int(0.01 * rate))
    env = np.sqrt(np.convolve(np.square(top, dtype=np.float64), np.ones(win) / win, "same"))
    hf = shaped_noise(rng, n, rate, rng.uniform(-6.0, 0.0))
    hf = sps.sosfilt(sps.butter(8, min(src_nyq, 0.45 * rate), "high", fs=rate, output="sos"), hf)
    hf = hf / (rms(hf) + 1e-12)
    return (y + hf * env * 10 ** (rng.uniform(-15.0, 3.0) / 20)).astype(np.float32)


def random_eq(rng, rate):
    """A microphone/room colour: one or two peaking biquads plus an optional low/high-pass.
    Returns a list of (b, a) sections."""
    secs = []
    for _ in range(int(rng.integers(1, 3))):
        f0 = math.exp(rng.uniform(math.log(100.0), math.log(min(10000.0, rate * 0.4))))
        gain_db = rng.uniform(-10.0, 10.0)
        q = rng.uniform(0.5, 2.0)
        A = 10 ** (gain_db / 40)
        w = 2 * math.pi * f0 / rate
        al = math.sin(w) / (2 * q)  # RBJ audio EQ cookbook, peaking EQ
        b = np.array([1 + al * A, -2 * math.cos(w), 1 - al * A])
        a = np.array([1 + al / A, -2 * math.cos(w), 1 - al / A])
        secs.append((b / a[0], a / a[0]))
    if rng.random() < 0.3:
        fc = rng.uniform(40.0, 250.0)
        secs.append(sps.butter(2, fc / (rate / 2), "high"))
    return secs


def apply_eq(secs, x):
    for b, a in secs:
        x = sps.lfilter(b, a, x)
    return x.astype(np.float32)


def synth_rir(rng, rate):
    """Synthetic room impulse response: a direct path then exponentially decaying noise
    (RT60 0.15..0.9 s). Returns (full, early) where early keeps the first 50 ms (the target)."""
    rt60 = rng.uniform(0.15, 0.9)
    n = int(rate * min(1.2, rt60 * 1.2))
    t = np.arange(n) / rate
    h = rng.standard_normal(n) * np.exp(-6.908 * t / rt60)  # -60 dB at rt60
    h *= 10 ** (rng.uniform(-12.0, 0.0) / 20) / (np.sqrt(np.sum(h ** 2)) + 1e-12)
    pre = int(rate * rng.uniform(0.001, 0.004))
    h[:pre] = 0.0
    h[0] = 1.0
    early = h.copy()
    early[int(0.05 * rate):] = 0.0
    return h.astype(np.float32), early.astype(np.float32)


def crop_or_loop(rng, x, n):
    if len(x) >= n:
        s = int(rng.integers(0, len(x) - n + 1))
        return x[s:s + n]
    reps = int(math.ceil(n / len(x))) + 1
    y = np.tile(x, reps)
    s = int(rng.integers(0, len(x)))
    return y[s:s + n]


def rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


# ---------------------------------------------------------------------------------- one clip
def make_clip(src, cfg, rng, frames=FRAMES_PER_CLIP):
    """One augmented mixture analysed by the engine. Returns (feats, gains, vad, info)."""
    rates, probs = zip(*RATES)
    rate = int(rng.choice(rates, p=probs))
    hop = quell_dsp.hop_samples(cfg, rate)
    n = frames * hop

    # --- speech track: utterances with gaps, or nothing (noise-only clip)
    speech = np.zeros(n, np.float32)
    speech_nyq = rate / 2.0
    has_speech = rng.random() >= 0.08
    if has_speech:
        use_wb = len(src.sets.get("speechwb", [])) > 0 and rng.random() < WIDEBAND_SPEECH_P
        pool = "speechwb" if use_wb else "speech16"
        pos = int(rng.uniform(0.0, 0.6) * rate) if rng.random() < 0.5 else 0
        while pos < n:
            x, r, _ = src.draw(rng, pool)
            speed = rng.uniform(0.92, 1.08) if rng.random() < 0.3 else 1.0
            # Long utterances: take a random piece so one file does not fill every clip.
            if len(x) > 6 * r:
                s = int(rng.integers(0, len(x) - 6 * r))
                x = x[s:s + 6 * r]
            y = resample(x, r, rate, speed)
            speech_nyq = min(speech_nyq, r * speed / 2.0)
            y = y * (10 ** (rng.uniform(-6, 6) / 20) / (rms(y) + 1e-9))
            m = min(len(y), n - pos)
            speech[pos:pos + m] += y[:m]
            pos += m + int(rng.uniform(0.05, 1.2) * rate)

    # --- reverberation (target keeps the direct path and early reflections)
    target = speech
    if has_speech and rng.random() < 0.25:
        h, early = synth_rir(rng, rate)
        target = sps.fftconvolve(speech, early)[:n].astype(np.float32)
        speech = sps.fftconvolve(speech, h)[:n].astype(np.float32)

    # --- noise track: real and/or synthetic, sometimes with a full-band hiss floor
    noise = np.zeros(n, np.float32)
    speech_only = has_speech and rng.random() < SPEECH_ONLY_P
    if not speech_only:
        for _ in range(1 if rng.random() < 0.7 else 2):
            if rng.random() < 0.72 and src.sets["noise"]:
                x, r, _ = src.draw(rng, "noise")
                y = crop_or_loop(rng, x, int(math.ceil(n * r / rate)) + 64)
                y = resample(y, r, rate)[:n]
                if len(y) < n:
                    y = np.pad(y, (0, n - len(y)))
                if r / 2.0 < rate / 2.0 * 0.9 and rng.random() < EXTEND_NOISE_P:
                    y = extend_noise_highs(rng, y, r / 2.0, rate)
            else:
                y = synth_noise(rng, n, rate)
            y = y * (10 ** (rng.uniform(-8, 0) / 20) / (rms(y) + 1e-9))
            if rng.random() < 0.25:  # slow level changes: non-stationary noise
                t = np.arange(n) / rate
                y = y * (1.0 + 0.8 * np.sin(2 * np.pi * rng.uniform(0.05, 0.5) * t
                                              + rng.uniform(0, 6.3))).astype(np.float32)
            noise += y
        if rng.random() < 0.5:
            noise += (rms(noise) * 10 ** (rng.uniform(-35, -15) / 20)
                      * shaped_noise(rng, n, rate, rng.uniform(-3.0, 0.0)))

    # --- SNR against active speech
    if has_speech and not speech_only:
        act = np.abs(speech) > 1e-4
        p_s = rms(speech[act]) if np.any(act) else rms(speech)
        snr = rng.uniform(-5.0, 30.0) if rng.random() < 1.0 - LOW_SNR_P else rng.uniform(-5.0, 10.0)
        g = p_s / (rms(noise) + 1e-12) * 10 ** (-snr / 20)
        noise *= g
    else:
        snr = float("nan")

    mix = speech + noise
    # --- microphone colour applies to everything the microphone hears, target included
    if rng.random() < 0.5:
        secs = random_eq(rng, rate)
        mix, target = apply_eq(secs, mix), apply_eq(secs, target)
    # --- level: -45..-10 dBFS RMS, sometimes driven into clipping
    lvl = 10 ** (rng.uniform(-45.0, -10.0) / 20) / (rms(mix) + 1e-12)
    mix, target = mix * lvl, target * lvl
    if rng.random() < 0.08:
        drive = 10 ** (rng.uniform(0.0, 9.0) / 20) / (np.max(np.abs(mix)) + 1e-12)
        mix, target = mix * drive, target * drive
        mix = np.clip(mix, -1.0, 1.0)
    # --- band-limited capture (everything the microphone chain passed, target included): the
    # model must not read an empty top octave as "no speech" (NOIZEUS-like 8 kHz material).
    bandlimit_hz = rate / 2.0
    highpass_hz = 0.0
    if rng.random() < BANDLIMIT_P:
        telephone = rng.random() < TELEPHONE_P
        if telephone:  # narrowband call: below an 8 kHz rate's Nyquist
            fc = rng.uniform(3200.0, 3800.0)
        else:
            fc = rng.uniform(3400.0, min(8000.0, rate * 0.45))
        sos = sps.butter(8, fc / (rate / 2), "low", output="sos")
        if telephone:
            # Telephone band: speech with no lows is still speech (NOIZEUS was turned down).
            highpass_hz = rng.uniform(200.0, 400.0)
            sos = np.concatenate([sos, sps.butter(4, highpass_hz / (rate / 2), "high",
                                                  output="sos")])
        mix = sps.sosfilt(sos, mix)
        target = sps.sosfilt(sos, target)
        bandlimit_hz = fc
    mix = mix.astype(np.float32)
    target = target.astype(np.float32)

    feats, e_n, e_c = quell_dsp.analyze(cfg, rate, mix, target)
    assert len(feats) == frames

    # --- targets
    centres = src_centres(cfg)
    uppers = np.append(centres[1:], centres[-1] + (centres[-1] - centres[-2]))
    gains = np.sqrt(e_c / np.maximum(e_n, 1e-20))
    gains = np.clip(gains, 0.0, 1.0)
    e_tot = e_c.sum(axis=1)
    peak = float(e_tot.max()) if has_speech else 0.0
    if has_speech and peak > 0:
        vad = (e_tot > peak * 10 ** (-3.5)).astype(np.float32)
    else:
        vad = np.zeros(frames, np.float32)
    mask = np.ones_like(gains, dtype=bool)
    mask[:, centres >= rate / 2.0 * 0.98] = False  # nothing to hear or to act on there
    mask[:, centres > bandlimit_hz * 1.1] = False   # filtered away: ratio of leakage only
    mask[:, uppers < highpass_hz] = False            # the same below a telephone high-pass
    mask &= e_n > 1e-11                            # digital silence: gain meaningless
    # A band-limited speech source has lost its highs: while it speaks, its target there is
    # unknown (its absence would teach the model that speech has no highs).
    lost = uppers > speech_nyq * 0.95
    if np.any(lost):
        active = e_tot > (peak * 1e-5 if peak > 0 else np.inf)
        mask[np.ix_(active, lost)] = False
    gains[~mask] = -1.0
    info = {"rate": rate, "snr": snr, "speech_nyq": speech_nyq, "bandlimit_hz": bandlimit_hz,
            "highpass_hz": highpass_hz}
    return feats, gains.astype(np.float32), vad, info


_CENTRES = {}


def src_centres(cfg):
    key = (cfg.nb_bands, cfg.band_fmax_hz, cfg.band_min_hz)
    if key not in _CENTRES:
        _CENTRES[key] = quell_dsp.band_centres(cfg)
    return _CENTRES[key]


# ------------------------------------------------------------------------------------- cache
_W = {}


def _worker_init(src, cfg_dict, seed):
    _W["src"] = src
    _W["cfg"] = quell_dsp.QuellConfig.from_dict(cfg_dict)
    _W["seed"] = seed


def _worker_clip(i):
    # Each clip has its own generator, so the cache does not depend on worker scheduling.
    rng = np.random.default_rng([_W["seed"], i])
    f, g, v, info = make_clip(_W["src"], _W["cfg"], rng)
    return i, f.astype(np.float16), g.astype(np.float16), v.astype(np.float16), info


def build_cache(out, clips, seed, cfg, jobs=2, data_dir=DEFAULT_DATA, debian_dir=DEFAULT_DEBIAN):
    lists, folders = list_sources(data_dir, debian_dir)
    if not lists["speech16"] and not lists["speechwb"]:
        raise SystemExit(f"no speech found under {data_dir}: is ../shared/data there?")
    if not lists["speechwb"]:
        print(f"warning: no wideband speech in {debian_dir}; run "
              f"../shared/data/get-debian-speech.sh {debian_dir}", file=sys.stderr)
    t_decode = time.time()
    src = Sources(lists, data_dir=data_dir, debian_dir=debian_dir, jobs=jobs)
    t_decode = time.time() - t_decode
    os.makedirs(out, exist_ok=True)
    if os.path.exists(os.path.join(out, "meta.json")):  # meta.json marks a complete cache
        os.remove(os.path.join(out, "meta.json"))
    T, nf, nb = FRAMES_PER_CLIP, cfg.nfeat, cfg.nb_bands
    F = np.lib.format.open_memmap(os.path.join(out, "feats.npy"), "w+", np.float16, (clips, T, nf))
    G = np.lib.format.open_memmap(os.path.join(out, "gains.npy"), "w+", np.float16, (clips, T, nb))
    V = np.lib.format.open_memmap(os.path.join(out, "vad.npy"), "w+", np.float16, (clips, T))
    t0 = time.time()
    rates = {}
    with mp.get_context("fork").Pool(jobs, _worker_init, (src, cfg.as_dict(), seed)) as pool:
        for k, (i, f, g, v, info) in enumerate(pool.imap_unordered(_worker_clip, range(clips),
                                                                   chunksize=4)):
            F[i], G[i], V[i] = f, g, v
            rates[info["rate"]] = rates.get(info["rate"], 0) + 1
            if (k + 1) % 200 == 0:
                print(f"{k + 1}/{clips} clips, {time.time() - t0:.0f} s", file=sys.stderr)
    F.flush(), G.flush(), V.flush()
    meta = {
        "clips": clips, "frames_per_clip": T, "seed": seed, "config": cfg.as_dict(),
        "recipe": RECIPE_VERSION,
        "folders": folders, "source_minutes": {k: round(v, 1) for k, v in src.minutes.items()},
        "source_files": {k: len(v) for k, v in src.sets.items()},
        "folder_minutes": {k: round(v, 1) for k, v in sorted(src.folder_minutes.items())},
        "pool_shares": POOL_SHARES,
        "rates": {str(k): v for k, v in sorted(rates.items())},
        "mixture_minutes": round(clips * T * cfg.hop_us / 1e6 / 60, 1),
        "seconds": round(time.time() - t0, 1),
        "decode_seconds": round(t_decode, 1),
    }
    with open(os.path.join(out, "meta.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    print(f"cache {out}: {clips} clips in {meta['seconds']} s", file=sys.stderr)
    return meta


def open_cache(path):
    """Memory-mapped (feats, gains, vad, meta) of a cache written by build_cache."""
    with open(os.path.join(path, "meta.json")) as fh:
        meta = json.load(fh)
    f = np.load(os.path.join(path, "feats.npy"), mmap_mode="r")
    g = np.load(os.path.join(path, "gains.npy"), mmap_mode="r")
    v = np.load(os.path.join(path, "vad.npy"), mmap_mode="r")
    return f, g, v, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "cache", "train"))
    ap.add_argument("--clips", type=int, default=14000, help="5 s clips (default: ~19.4 hours)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--debian", default=DEFAULT_DEBIAN)
    ap.add_argument("--reuse", action="store_true",
                    help="keep an existing cache made with the same clips, seed and config")
    a = ap.parse_args()
    cfg = shipped_config()
    meta_path = os.path.join(a.out, "meta.json")
    if a.reuse and os.path.exists(meta_path):
        with open(meta_path) as fh:
            old = json.load(fh)
        if (old.get("clips"), old.get("seed"), old.get("config"), old.get("recipe")) == (
                a.clips, a.seed, cfg.as_dict(), RECIPE_VERSION):
            print(f"reusing {a.out} (same clips, seed, config and recipe)", file=sys.stderr)
            return
    build_cache(a.out, a.clips, a.seed, cfg, a.jobs, a.data, a.debian)


if __name__ == "__main__":
    main()
