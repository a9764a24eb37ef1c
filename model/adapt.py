"""adapt.py — quell-adapt: fine-tunes Quell's network on a user's own noise.

    quell-adapt --noise DIR --out my-room.qwb [--minutes N] [--from model.qwb] [--speech DIR]

1. Reads every file in DIR that libsndfile reads (any rate, any channels; mixed to mono), drops
   silent files, and refuses the folder when it is empty, unreadable, silent, holds speech (the
   base model's own voice detector) or holds less than MIN_NOISE_S of sound.
2. Holds a fifth of the noise out (every fifth file, or the last fifth of each file when there are
   fewer than five) for the report.
3. Mixes the rest with speech exactly as training does (model/data.py make_clip: levels, SNRs
   -5..30 dB, reverberation, microphone colour, band limits, speech-only and two-noise clips, a
   share of synthetic noises that keeps the model's general knowledge), features computed by the
   C engine (QUELL_DSP_LIB).
4. Fine-tunes the base model (--from, default the shipped one) from its weights with the loss of
   the shipped model's last training stage (model/model.mk), for a time budget (--minutes).
5. Writes a format 3 blob (model/FORMAT.md) that records the base model's CRC, the seconds of
   noise and the date: to a temporary file, checked by the C loader and against PyTorch, then
   renamed into place, so an interrupted run leaves no half-written blob.
6. Reports, on the held-out noise mixed with held-out voices (0, 5, 10 dB SNR), the base against
   the adapted model (SI-SDR, STOI, the level left of the noise alone, DNSMOS BAK/OVRL where the
   meter is installed), and on dev/mix48 (in a checkout with ../shared; else voices over
   synthetic noises) that nothing else got worse by more than TOL_SI_SDR_DB / TOL_STOI.

Speech: --speech DIR; else in a checkout ../shared/data's speech and model/cache/debian-speech;
else the Debian packages tuxpaint-stamps-default (/usr/share/tuxpaint) and
asterisk-core-sounds-*-g722 (/usr/share/asterisk/sounds). Exit codes: EXIT_* below.
"""
import argparse
import datetime
import glob
import math
import multiprocessing as mp
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# Idle OpenMP threads sleep instead of spinning (as model/train.py): on a busy machine spinning
# steals the cores the other threads need. Must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

EXIT_OK, EXIT_USAGE, EXIT_DATA, EXIT_NOINPUT = 0, 64, 65, 66
EXIT_UNAVAILABLE, EXIT_SOFTWARE, EXIT_CANTCREAT, EXIT_INTERRUPTED = 69, 70, 73, 130

MIN_NOISE_S = 60.0        # below this there is too little to learn from and to hold out
SILENT_RMS = 10 ** (-70 / 20)  # a file quieter than -70 dBFS RMS counts as silence
SPEECH_FRAMES_MAX = 0.35  # share of noise frames the base model hears voice in (p > 0.5)
TOL_SI_SDR_DB = 0.5       # "nothing else got worse": mean SI-SDR may drop at most this much
TOL_STOI = 0.01           # ... and mean STOI at most this much
EVAL_RATE = 48000
EVAL_SNRS = (0, 5, 10)
# The loss of the shipped model's last stage (model/model.mk TRAIN_GUARD_*).
LOSS = dict(speech_guard=4.0, guard_voiced=True, spec_weight=4.0, stoi_weight=20.0,
            target_power=2.0, sdr_weight=0.0)
SYSTEM_TUXPAINT = "/usr/share/tuxpaint/stamps"
SYSTEM_ASTERISK = "/usr/share/asterisk/sounds"
HELD_OUT_LANGS = ("bg", "lt", "nl", "ml")  # data.TUXPAINT_HELD_OUT: voices training never heard


class AdaptError(Exception):
    """A problem with the user's input or set-up: one line, an exit code."""

    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code


def say(msg, quiet=False):
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


class Progress:
    """One stderr line: a bar, the step, and an estimate of the time left."""

    def __init__(self, what, total, quiet=False):
        self.what, self.total, self.quiet = what, total, quiet  # total None: not known yet
        self.t0 = time.time()
        self.tty = sys.stderr.isatty()
        self.last = -1.0

    def update(self, done, extra=""):
        if self.quiet:
            return
        now = time.time()
        if not self.tty and done != self.total and now - self.last < 10:
            return  # a log file gets a line every 10 s, not a stream of carriage returns
        self.last = now
        frac = min(done / self.total, 1.0) if self.total else 0.0
        el = now - self.t0
        left = el / frac - el if frac > 0 else float("nan")
        bar = "#" * int(frac * 24) + "." * (24 - int(frac * 24))
        eta = f"{int(left // 60)}:{int(left % 60):02d} left" if left == left else "estimating"
        line = f"{self.what:<12} [{bar}] {done}/{self.total or '?'} {eta} {extra}"
        print(("\r" if self.tty else "") + line + ("" if self.tty else "\n"), end="",
              file=sys.stderr, flush=True)

    def done(self):
        if not self.quiet and self.tty:
            print(file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------ the blob
def read_blob(data):
    """(config dict, {tensor name: array}, crc, info text) of blob bytes (format 1-3). The C
    loader validates the blob first (quell_dsp.Model.from_bytes); this only unpacks it."""
    import struct

    import numpy as np
    version, = struct.unpack_from("<I", data, 8)
    f = struct.unpack_from("<3I3f4I2I", data, 16)
    cfg = dict(hop_us=f[0], window_hops=f[1], nb_bands=f[2], band_fmax_hz=f[3], band_min_hz=f[4],
               norm_tau_ms=f[5], nfeat=f[6], input_hidden=f[7], gru_layers=f[8], gru_hidden=f[9],
               feature_flags=f[11] if version >= 2 else 0)
    pos, tensors = 64, {}
    for _ in range(f[10]):
        name = data[pos:pos + 32].split(b"\0")[0].decode("ascii")
        _, rows, cols, _ = struct.unpack_from("<4I", data, pos + 32)
        pos += 48
        a = np.frombuffer(data, "<f4", rows * cols, pos).reshape(rows, cols)
        tensors[name] = a[:, 0].copy() if cols == 1 and not name.endswith("weight") else a.copy()
        pos += 4 * rows * cols
    info = ""
    if version >= 3:
        n, = struct.unpack_from("<I", data, pos + 4)
        info = data[pos + 8:pos + 8 + n].decode("utf-8", "replace")
    crc, = struct.unpack_from("<I", data, len(data) - 4)
    return cfg, tensors, crc, info


def torch_model(cfg, tensors):
    """The blob's network as train.QuellNet."""
    import torch
    from train import QuellNet
    lags = sorted(int(k[len("input.weight_lag"):]) for k in tensors
                  if k.startswith("input.weight_lag"))
    net = QuellNet(cfg["nfeat"], cfg["nb_bands"], cfg["input_hidden"], cfg["gru_layers"],
                   cfg["gru_hidden"], lags)
    sd = {"norm_mean": tensors["norm.mean"], "norm_scale": tensors["norm.scale"],
          "input.weight": tensors["input.weight"], "input.bias": tensors["input.bias"],
          "gain.weight": tensors["gain.weight"], "gain.bias": tensors["gain.bias"],
          "vad.weight": tensors["vad.weight"], "vad.bias": tensors["vad.bias"]}
    # The blob weighs frames t - n; QuellNet weighs differences x_t - x_{t-n} (see
    # export.model_tensors): D_n = -W_n, W = W_0 - sum D_n.
    for n in lags:
        sd[f"lag.{n}.weight"] = -tensors[f"input.weight_lag{n}"]
        sd["input.weight"] = sd["input.weight"] + tensors[f"input.weight_lag{n}"]
    for i in range(cfg["gru_layers"]):
        for part in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            sd[f"grus.{i}.{part}_l0"] = tensors[f"gru{i}.{part}"]
    net.load_state_dict({k: torch.from_numpy(v.reshape(net.state_dict()[k].shape))
                         for k, v in sd.items()})
    return net


def default_base():
    """The shipped blob: QUELL_BLOB, then beside this file (installed), then model/quell.qwb."""
    for p in (os.environ.get("QUELL_BLOB"), os.path.join(HERE, "quell.qwb")):
        if p and os.path.isfile(p):
            return p
    return os.path.join(HERE, "quell.qwb")


# ------------------------------------------------------------------------------------ the noise
def _read_mono(path):
    import numpy as np
    import soundfile as sf
    x, rate = sf.read(path, dtype="float32", always_2d=True)
    return np.ascontiguousarray(x.mean(axis=1)), rate


def read_noise(folder, quiet):
    """[(samples, rate, path)] of every readable, non-silent file under folder (sorted)."""
    import numpy as np
    if not os.path.isdir(folder):
        raise AdaptError(EXIT_NOINPUT, f"noise folder '{folder}' does not exist")
    paths = sorted(p for p in glob.glob(os.path.join(folder, "**", "*"), recursive=True)
                   if os.path.isfile(p) and not os.path.basename(p).startswith("."))
    if not paths:
        raise AdaptError(EXIT_NOINPUT, f"noise folder '{folder}' is empty: put a few minutes of "
                         "recordings of your noise in it (any format libsndfile reads)")
    got, unreadable, silent = [], [], []
    for p in paths:
        try:
            x, rate = _read_mono(p)
        except Exception as e:  # libsndfile's refusal: not audio, or a format it lacks
            unreadable.append((p, str(e).splitlines()[0] if str(e) else type(e).__name__))
            continue
        if len(x) == 0 or not np.all(np.isfinite(x)) or \
                float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) < SILENT_RMS:
            silent.append(p)
            continue
        got.append((x, rate, p))
    for p, why in unreadable:
        say(f"quell-adapt: skipping {p}: not audio libsndfile reads ({why})", quiet)
    if not got and unreadable and not silent:
        raise AdaptError(EXIT_DATA, f"none of the {len(paths)} files in '{folder}' is audio "
                         "libsndfile reads (WAV, FLAC, Ogg/Opus, MP3, AIFF, ...)")
    if not got:
        raise AdaptError(EXIT_DATA, f"the recordings in '{folder}' are silence (all below -70 "
                         "dBFS): record with the microphone you use, at its usual gain")
    for p in silent:
        say(f"quell-adapt: skipping {p}: silence", quiet)
    return got


def split_noise(items):
    """(train, held_out) lists of (x, rate, name): every fifth file held out, or, with fewer than
    five files, the last fifth of each."""
    if len(items) >= 5:
        return ([it for i, it in enumerate(items) if i % 5 != 4],
                [it for i, it in enumerate(items) if i % 5 == 4])
    train, held = [], []
    for x, r, p in items:
        cut = int(len(x) * 0.8)
        train.append((x[:cut], r, p))
        held.append((x[cut:], r, p))
    return train, held


def seconds(items):
    return sum(len(x) / r for x, r, _ in items)


def voice_share(model, cfg, items):
    """Share of the noise's frames in which the base model hears voice (probability > 0.5)."""
    import numpy as np
    import quell_dsp
    voiced = total = 0
    for x, rate, _ in items:
        r = rate if quell_dsp_rate_ok(rate) else EVAL_RATE
        y = x if r == rate else resample(x, rate, r)
        feats, _, _ = quell_dsp.analyze(cfg, r, y, energies=False)
        _, vad = model.run_net(feats)
        voiced += int(np.sum(vad > 0.5))
        total += len(vad)
    return voiced / max(total, 1)


def quell_dsp_rate_ok(rate):
    return 16000 <= rate <= 192000


def resample(x, rate_in, rate_out):
    import data
    return data.resample(x, rate_in, rate_out)


# ------------------------------------------------------------------------------------ speech
def _audio_files(folder):
    import data
    out = []
    for root, _, names in os.walk(folder):
        out += [os.path.join(root, n) for n in names if n.lower().endswith(data.AUDIO_EXT)]
    return sorted(out)


def find_speech(speech_dir, data_dir, debian_dir):
    """({"speech16": [...], "speechwb": [...]} training paths, [evaluation paths], where)."""
    import data
    import soundfile as sf
    if speech_dir:
        files = _audio_files(speech_dir)
        if not files:
            raise AdaptError(EXIT_NOINPUT, f"no speech recordings in '{speech_dir}'")
        evals = files[::10]  # a tenth of the voices is kept for the report
        train = [f for i, f in enumerate(files) if i % 10]
        lists = {"speech16": [], "speechwb": []}
        for f in train:
            try:
                wide = not f.lower().endswith(".g722") and sf.info(f).samplerate >= 32000
            except Exception:
                continue
            lists["speechwb" if wide else "speech16"].append(f)
        return lists, evals, speech_dir
    tux_eval = []
    if os.path.isdir(data_dir) or os.path.isdir(debian_dir):
        lists, _ = data.list_sources(data_dir, debian_dir)
        lists.pop("noise", None)
        for lang in HELD_OUT_LANGS:
            tux_eval += sorted(glob.glob(os.path.join(debian_dir, "tuxpaint", lang, "*.ogg")))
        where = " and ".join(d for d in (data_dir, debian_dir) if os.path.isdir(d))
    else:
        lists = {"speech16": [], "speechwb": []}
        where = "Debian packages"
    if not lists["speech16"] and not lists["speechwb"]:
        # An installed quell-adapt: the speech of Debian packages, if installed.
        for f in glob.glob(os.path.join(SYSTEM_TUXPAINT, "**", "*_desc_*.ogg"), recursive=True):
            lang = f.rsplit("_desc_", 1)[1][:-4]
            (tux_eval if lang in HELD_OUT_LANGS else lists["speechwb"]).append(f)
        for f in glob.glob(os.path.join(SYSTEM_ASTERISK, "**", "*.g722"), recursive=True):
            if "/it" not in f[len(SYSTEM_ASTERISK):]:
                lists["speech16"].append(f)
        lists = {k: sorted(v) for k, v in lists.items()}
        where = "Debian packages (tuxpaint-stamps-default, asterisk-core-sounds-*-g722)"
    if not lists["speech16"] and not lists["speechwb"]:
        raise AdaptError(EXIT_UNAVAILABLE, "no speech to mix with the noise: apt-get install "
                         "tuxpaint-stamps-default (or asterisk-core-sounds-en-g722 and ffmpeg), or "
                         "name a folder of clean speech recordings with --speech DIR")
    if not tux_eval:  # keep a tenth of the training voices for the report
        pool = lists["speechwb"] or lists["speech16"]
        tux_eval = pool[::10]
        for k in lists:
            lists[k] = [f for f in lists[k] if f not in set(tux_eval)]
    return lists, sorted(tux_eval), where


class AdaptSources:
    """What data.make_clip draws from (data.Sources' interface): a sample of the speech, decoded,
    drawn uniformly, and the user's noise as the noise pool."""

    def __init__(self, speech_lists, noise, rng, max_files, jobs, quiet):
        import numpy as np
        import data
        self.sets = {"noise": list(noise), "speech16": [], "speechwb": []}
        todo = []
        for k in ("speech16", "speechwb"):
            paths = speech_lists.get(k, [])
            if len(paths) > max_files:
                paths = [paths[i] for i in sorted(rng.choice(len(paths), max_files, replace=False))]
            todo += [(k, p) for p in paths]
        prog = Progress("speech", len(todo), quiet)
        with mp.get_context("fork").Pool(jobs, _ignore_sigint) as pool:
            for i, (p, got, _) in enumerate(pool.imap(data._load_checked, [p for _, p in todo],
                                                      chunksize=8)):
                if got is not None:
                    self.sets[todo[i][0]].append((got[0], got[1], p))
                prog.update(i + 1)
        prog.done()
        if not self.sets["speech16"] and not self.sets["speechwb"]:
            raise AdaptError(EXIT_UNAVAILABLE, "none of the speech files could be decoded (the "
                             "G.722 prompts need ffmpeg: apt-get install ffmpeg)")
        self.minutes = {k: sum(len(x) / r for x, r, _ in v) / 60 for k, v in self.sets.items()}
        # make_clip draws 16 kHz speech whenever it does not pick wideband: never from nothing.
        if not self.sets["speech16"]:
            self.sets["speech16"] = self.sets["speechwb"]
        self.weights = {k: np.full(len(v), 1.0 / max(len(v), 1)) for k, v in self.sets.items()}

    def draw(self, rng, pool):
        items = self.sets[pool]
        return items[int(rng.integers(len(items)))]

    def with_noise(self, noise):
        """The same speech over another noise pool (an empty pool: synthetic noise only)."""
        import copy
        other = copy.copy(self)
        other.sets = dict(self.sets, noise=list(noise))
        return other


def general_noise(data_dir, debian_dir, rng, max_files, jobs):
    """A sample of training's own noise pool (../shared/data/noise) when this is a checkout with
    it, else []: the general mixtures then use data.py's synthetic noises only."""
    import data
    if not os.path.isdir(os.path.join(data_dir, "noise")):
        return []
    paths = data.list_sources(data_dir, debian_dir)[0]["noise"]
    if len(paths) > max_files:
        paths = [paths[i] for i in sorted(rng.choice(len(paths), max_files, replace=False))]
    with mp.get_context("fork").Pool(jobs, _ignore_sigint) as pool:
        got = pool.map(data._load_checked, paths, chunksize=8)
    return [(g[0], g[1], p) for p, g, _ in got if g is not None]


def _ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


_W = {}


def _clip_init(src, general, share, cfg_dict, seed):
    _ignore_sigint()
    import quell_dsp
    _W.update(src=src, general=general, share=share,
              cfg=quell_dsp.QuellConfig.from_dict(cfg_dict), seed=seed)


def _clip(i):
    import numpy as np
    import data
    rng = np.random.default_rng([_W["seed"], 21, i])
    # Clip i is a general one when it falls in the general share (spread evenly over the set).
    general = int((i + 1) * _W["share"]) > int(i * _W["share"])
    f, g, v, _ = data.make_clip(_W["general"] if general else _W["src"], _W["cfg"], rng)
    return i, f.astype(np.float16), g.astype(np.float16), v.astype(np.float16)


def make_clips(src, general, share, cfg, n, seed, jobs, quiet):
    """n mixtures: the share `share` over general noise (the `general` sources), the rest over
    the user's noise (`src`)."""
    import numpy as np
    import data
    T = data.FRAMES_PER_CLIP
    F = np.zeros((n, T, cfg.nfeat), np.float16)
    G = np.zeros((n, T, cfg.nb_bands), np.float16)
    V = np.zeros((n, T), np.float16)
    prog = Progress("mixing", n, quiet)
    with mp.get_context("fork").Pool(jobs, _clip_init,
                                     (src, general, share, cfg.as_dict(), seed)) as pool:
        for k, (i, f, g, v) in enumerate(pool.imap_unordered(_clip, range(n), chunksize=2)):
            F[i], G[i], V[i] = f, g, v
            prog.update(k + 1)
    prog.done()
    return F, G, V


# ------------------------------------------------------------------------------------ training
def fine_tune(net, F, G, V, cfg, minutes, seed, lr, batch, max_steps, quiet):
    """Fine-tunes net in place for about `minutes` (or max_steps). Returns the steps run."""
    import numpy as np
    import torch
    import torch.nn as nn
    import quell_dsp
    import train
    torch.manual_seed(seed)
    centres = quell_dsp.band_centres(cfg)
    stoi_bands = torch.from_numpy((centres >= 150.0) & (centres <= 4500.0))
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4, betas=(0.9, 0.99))
    seq, T = 250, F.shape[1]
    rng = np.random.default_rng([seed, 7])
    budget = minutes * 60.0
    t0 = time.time()
    prog = Progress("fine-tuning", max_steps or None, quiet)
    step = 0
    while True:
        # A step budget, or a time budget: the schedule then runs on the time used, and the
        # step count shown is re-estimated from the speed so far (a busy machine gets fewer
        # steps, never a longer run).
        used = time.time() - t0
        if max_steps:
            if step >= max_steps:
                break
            frac = step / max_steps
        else:
            if step >= 5 and used >= budget:
                break
            frac = min(used / budget, 1.0)
            if step >= 3:
                prog.total = max(step + 1, int(round(step * budget / max(used, 1e-9))))
        for group in opt.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / 5) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        b = np.sort(rng.choice(len(F), min(batch, len(F)), replace=False))
        x_all = torch.from_numpy(F[b].astype(np.float32))
        g_all = torch.from_numpy(G[b].astype(np.float32))
        v_all = torch.from_numpy(V[b].astype(np.float32))
        state, total = None, 0.0
        for c in range(T // seq):
            sl = slice(c * seq, (c + 1) * seq)
            gp, vp, state = net(x_all[:, sl], state)
            state = [s.detach() for s in state]
            loss, _, _ = train.loss_fn(gp, vp, g_all[:, sl], v_all[:, sl], x_all[:, sl],
                                       LOSS["spec_weight"], LOSS["speech_guard"],
                                       LOSS["guard_voiced"], LOSS["stoi_weight"], stoi_bands,
                                       LOSS["target_power"], LOSS["sdr_weight"], t0=c * seq)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            total += float(loss)
        step += 1
        prog.update(step, f"loss {total / (T // seq):.3f}")
    if prog.total != step:
        prog.total = step
        prog.update(step, f"loss {total / (T // seq):.3f}")
    prog.done()
    return step


# ------------------------------------------------------------------------------------ report
def run_engine(model, x, rate):
    """x through the C engine at `rate` (default controls), aligned with x (latency removed)."""
    import numpy as np
    import quell_dsp
    e = quell_dsp.Engine(model, rate)
    lat = e.latency()
    y = e.process(np.concatenate([x, np.zeros(lat, np.float32)]).astype(np.float32))
    return y[lat:]


def held_out_voices(paths, count, seed, seconds_each=4.0):
    """count voices of about seconds_each, each a few held-out utterances (many are short
    descriptions) of one speaker joined with 0.3 s pauses, at EVAL_RATE."""
    import numpy as np
    import data
    rng = np.random.default_rng([seed, 11])
    order = [paths[i] for i in rng.permutation(len(paths))]
    voices, cur, k = [], [], 0
    while len(voices) < count and k < len(order):
        try:
            x, r = data.load_audio(order[k])
        except Exception:
            x, r = None, 0
        k += 1
        if x is None or len(x) < r // 5:
            continue
        cur.append(resample(x, r, EVAL_RATE))
        cur.append(np.zeros(int(0.3 * EVAL_RATE), np.float32))
        if sum(len(c) for c in cur) >= seconds_each * EVAL_RATE:
            voices.append((np.concatenate(cur), EVAL_RATE))
            cur = []
    return voices


def eval_items(noise, voices, seed):
    """[(clean, noisy, snr)] at EVAL_RATE: each voice over a random stretch of the noise at each
    of EVAL_SNRS, plus ("noise", None) entries for the noise alone."""
    import numpy as np
    rng = np.random.default_rng([seed, 99])
    nz = [resample(x, r, EVAL_RATE) for x, r, _ in noise]
    items = []
    for k, (v, r) in enumerate(voices):
        s = resample(v, r, EVAL_RATE)
        n = nz[k % len(nz)]
        if len(n) < len(s):
            n = np.tile(n, len(s) // len(n) + 1)
        start = int(rng.integers(0, len(n) - len(s) + 1))
        seg = n[start:start + len(s)]
        p_s = np.mean(s ** 2)
        p_n = max(np.mean(seg ** 2), 1e-20)
        for snr in EVAL_SNRS:
            mix = s + seg * np.sqrt(p_s / p_n / 10 ** (snr / 10))
            peak = max(1.0, np.abs(mix).max() / 0.9)
            items.append((s / peak, mix / peak, snr))
    return items


def score(models, items, dnsmos_ok, jobs):
    """Mean SI-SDR, STOI (and DNSMOS BAK/OVRL) of each model's output over items, plus the
    noisy input's. {name: {"si_sdr":, "stoi":, "bak":, "ovrl":}}"""
    import numpy as np
    import metrics
    out = {}
    outputs = {}
    for name, model in [("input", None)] + list(models):
        ys = [noisy if model is None else run_engine(model, noisy.astype(np.float32), EVAL_RATE)
              for _, noisy, _ in items]
        outputs[name] = ys
        out[name] = {"si_sdr": float(np.mean([metrics.si_sdr(c, y) for (c, _, _), y in zip(items, ys)])),
                     "stoi": float(np.mean([metrics.stoi(c, y, EVAL_RATE) for (c, _, _), y in zip(items, ys)]))}
    if dnsmos_ok:
        import dnsmos
        for name, ys in outputs.items():
            r = dnsmos.score_signals([(y, EVAL_RATE) for y in ys], jobs=jobs)
            out[name]["bak"] = float(np.mean([d["BAK"] for d in r]))
            out[name]["ovrl"] = float(np.mean([d["OVRL"] for d in r]))
    return out


def noise_left(models, noise):
    """dB of the held-out noise alone left by each model (negative = removed)."""
    import numpy as np
    res = {}
    for name, model in models:
        tot_in = tot_out = 0.0
        for x, r, _ in noise:
            y = resample(x, r, EVAL_RATE).astype(np.float32)
            z = run_engine(model, y, EVAL_RATE)
            skip = EVAL_RATE // 2  # the first half second: gains start open after a reset
            tot_in += float(np.sum(y[skip:].astype(np.float64) ** 2))
            tot_out += float(np.sum(z[skip:].astype(np.float64) ** 2))
        res[name] = 10 * math.log10(max(tot_out, 1e-20) / max(tot_in, 1e-20))
    return res


def dev_items(dev_dir):
    """dev/mix48 as [(clean, noisy, snr)] at its own rate (48 kHz), or None when absent."""
    import json
    import numpy as np
    meta = os.path.join(dev_dir, "meta.json")
    if not os.path.isfile(meta):
        return None
    with open(meta) as fh:
        rows = json.load(fh)
    items = []
    for row in rows:
        c, rc = _read_mono(os.path.join(dev_dir, "clean", row["name"] + ".flac"))
        n, rn = _read_mono(os.path.join(dev_dir, "noisy", row["name"] + ".flac"))
        if rc != EVAL_RATE:
            c, n = resample(c, rc, EVAL_RATE), resample(n, rn, EVAL_RATE)
        m = min(len(c), len(n))
        items.append((np.asarray(c[:m]), np.asarray(n[:m]), row.get("snr")))
    return items


def synthetic_items(voices, seed):
    """The voices over data.py's synthetic noises at 5 dB: the general check without ../shared."""
    import numpy as np
    import data
    rng = np.random.default_rng([seed, 5])
    items = []
    for v, r in voices:
        s = resample(v, r, EVAL_RATE)
        n = data.synth_noise(rng, len(s), EVAL_RATE)
        mix = s + n * np.sqrt(np.mean(s ** 2) / max(np.mean(n ** 2), 1e-20) / 10 ** 0.5)
        peak = max(1.0, np.abs(mix).max() / 0.9)
        items.append((s / peak, mix / peak, 5))
    return items


def table(title, res, names, dnsmos_ok):
    lines = [title, "| | SI-SDR dB | STOI" + (" | DNSMOS BAK | DNSMOS OVRL |" if dnsmos_ok else " |"),
             "|---|---|---" + ("|---|---|" if dnsmos_ok else "|")]
    for n in names:
        r = res[n]
        row = f"| {n} | {r['si_sdr']:.2f} | {r['stoi']:.3f} |"
        if dnsmos_ok:
            row += f" {r['bak']:.2f} | {r['ovrl']:.2f} |"
        lines.append(row)
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ main
class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 64 (sysexits' EX_USAGE), not argparse's 2
        self.print_usage(sys.stderr)
        print(f"quell-adapt: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def parse(argv):
    ap = _Parser(
        prog="quell-adapt", description="Fine-tune Quell on recordings of your own noise.",
        epilog="Exit codes: 0 done, 64 usage, 65 unusable noise (silent, speech, too little, "
               "unreadable), 66 noise folder missing or empty, 69 something needed is missing "
               "(PyTorch, speech, the base model), 70 internal error, 73 cannot write OUT, "
               "130 interrupted (nothing written).")
    ap.add_argument("--noise", required=True, metavar="DIR",
                    help="a folder of recordings of your noise: a few minutes, any format "
                         "libsndfile reads, nobody talking")
    ap.add_argument("--out", required=True, metavar="FILE", help="the adapted model (.qwb)")
    ap.add_argument("--minutes", type=float, default=8.0,
                    help="fine-tuning time in minutes (default 8; the whole run takes about "
                         "5 minutes more)")
    ap.add_argument("--from", dest="base", default=None, metavar="BLOB",
                    help="model to start from (default: the shipped model)")
    ap.add_argument("--speech", default=None, metavar="DIR",
                    help="clean speech recordings to mix with (default: see the documentation)")
    ap.add_argument("--clips", type=int, default=400, help="5 s mixtures to train on (default 400)")
    ap.add_argument("--steps", type=int, default=0, help="fixed step count instead of --minutes")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--general", type=float, default=0.5,
                    help="share of the mixtures over other noises (training's own when this is "
                         "a checkout with ../shared, else synthetic), so the model keeps what it "
                         "knew (default 0.5)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--speech-files", type=int, default=300,
                    help="speech files decoded per pool (default 300)")
    ap.add_argument("--eval-voices", type=int, default=8, help="held-out voices in the report")
    ap.add_argument("--allow-speech", action="store_true",
                    help="accept noise in which the model hears voices (a cafe's chatter)")
    ap.add_argument("--no-report", action="store_true", help="skip the before/after report")
    ap.add_argument("--shared", default=os.environ.get("QUELL_SHARED",
                                                       os.path.join(HERE, "..", "..", "shared")))
    ap.add_argument("--quiet", "-q", action="store_true")
    a = ap.parse_args(argv)
    if not a.minutes > 0 or a.clips < 8 or a.batch < 1 or a.steps < 0 or a.jobs < 1 or \
            not 0.0 <= a.general < 1.0:
        ap.error("--minutes must be > 0, --clips >= 8, --batch >= 1, --jobs >= 1, "
                 "0 <= --general < 1")
    return a


def run(a):
    t_start = time.time()
    # The input is checked before anything slow or optional is needed (PyTorch comes later).
    try:
        import numpy as np
        import scipy  # noqa: F401
        import soundfile  # noqa: F401
    except ImportError as e:
        raise AdaptError(EXIT_UNAVAILABLE, f"quell-adapt needs {e.name} (Debian: apt-get install "
                         "python3-numpy python3-scipy python3-soundfile python3-torch)")
    import data
    import quell_dsp

    out_dir = os.path.dirname(os.path.abspath(a.out)) or "."
    if not os.path.isdir(out_dir) or not os.access(out_dir, os.W_OK):
        raise AdaptError(EXIT_CANTCREAT, f"cannot write {a.out}: folder '{out_dir}' is missing or "
                         "not writable")
    base_path = a.base or default_base()
    try:
        with open(base_path, "rb") as fh:
            base_bytes = fh.read()
        base = quell_dsp.Model.from_bytes(base_bytes)
    except OSError as e:
        raise AdaptError(EXIT_UNAVAILABLE, f"cannot read the base model {base_path}: {e.strerror}")
    except ValueError as e:
        raise AdaptError(EXIT_DATA, f"the base model {base_path} is not a usable blob: {e}")
    cfg_d, tensors, base_crc, _ = read_blob(base_bytes)
    cfg = quell_dsp.QuellConfig.from_dict(cfg_d)

    noise = read_noise(a.noise, a.quiet)
    total = seconds(noise)
    if total < MIN_NOISE_S:
        raise AdaptError(EXIT_DATA, f"only {total:.0f} s of noise in '{a.noise}': quell-adapt "
                         f"needs at least {MIN_NOISE_S:.0f} s (3 to 5 minutes work best)")
    share = voice_share(base, cfg, noise)
    if share > SPEECH_FRAMES_MAX and not a.allow_speech:
        raise AdaptError(EXIT_DATA, f"the noise holds speech (the model hears a voice in "
                         f"{100 * share:.0f} % of it): record the room with nobody talking, or "
                         "pass --allow-speech if the noise is other people's chatter")
    try:
        import torch
    except ImportError:
        raise AdaptError(EXIT_UNAVAILABLE, "quell-adapt needs PyTorch to fine-tune (Debian: "
                         "apt-get install python3-torch)")
    import export
    torch.set_num_threads(a.jobs)
    train_noise, held = split_noise(noise)
    say(f"noise: {len(noise)} files, {total / 60:.1f} min ({seconds(train_noise) / 60:.1f} to "
        f"learn from, {seconds(held) / 60:.1f} held out); voice heard in {100 * share:.0f} % of "
        f"it; base model {os.path.basename(base_path)} (CRC {base_crc:08x})", a.quiet)

    say(f"this takes about {a.minutes + 5:.0f} minutes: decoding speech and mixing (1-3), "
        f"fine-tuning ({a.minutes:g}), the report (1-2); Ctrl-C stops it with nothing written",
        a.quiet or a.steps)
    data_dir = os.path.join(a.shared, "data")
    lists, eval_paths, where = find_speech(a.speech, data_dir, data.DEFAULT_DEBIAN)
    rng = np.random.default_rng([a.seed, 3])
    src = AdaptSources(lists, train_noise, rng, a.speech_files, a.jobs, a.quiet)
    say(f"speech: {src.minutes['speech16'] + src.minutes['speechwb']:.0f} min, from {where}",
        a.quiet)

    gen_noise = general_noise(data_dir, data.DEFAULT_DEBIAN, rng, a.speech_files, a.jobs)
    say(f"general mixtures: {100 * a.general:.0f} % of them, over "
        + (f"{len(gen_noise)} files of training's own noise" if gen_noise else
           "synthetic noises"), a.quiet)
    F, G, V = make_clips(src, src.with_noise(gen_noise), a.general, cfg, a.clips, a.seed, a.jobs,
                         a.quiet)
    net = torch_model(cfg_d, tensors)
    net.train()
    steps = fine_tune(net, F, G, V, cfg, a.minutes, a.seed, a.lr, a.batch, a.steps, a.quiet)

    info = "\n".join([
        "tool=quell-adapt", f"adapted_from={base_crc:08x}",
        f"base_name={os.path.basename(base_path)}",
        f"noise_seconds={seconds(train_noise):.1f}", f"noise_files={len(noise)}",
        f"steps={steps}",
        "date=" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]) + "\n"
    net.eval()
    blob = export.blob_bytes(cfg_d, net, info)
    adapted = quell_dsp.Model.from_bytes(blob)  # the C loader must accept it ...
    probe = F[0, :300].astype(np.float32)
    with torch.no_grad():
        g, v, _ = net(torch.from_numpy(probe)[None])
    cg, cv = adapted.run_net(probe)
    err = max(float(np.max(np.abs(cg - g[0].numpy()))), float(np.max(np.abs(cv - v[0].numpy()))))
    if not err <= export.TOLERANCE:  # ... and compute what PyTorch does
        raise AdaptError(EXIT_SOFTWARE, f"the C network disagrees with PyTorch ({err:.1e}): "
                         "nothing written")
    tmp = a.out + ".tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, a.out)
    except OSError as e:
        raise AdaptError(EXIT_CANTCREAT, f"cannot write {a.out}: {e.strerror}")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    new_crc = int.from_bytes(blob[-4:], "little")
    say(f"wrote {a.out} (CRC {new_crc:08x}; adapted from {base_crc:08x}, {steps} steps)", a.quiet)

    if a.no_report:
        return
    voices = held_out_voices(eval_paths, a.eval_voices, a.seed)
    if not voices:
        say("no held-out voices to report with", a.quiet)
        return
    import dnsmos
    why = dnsmos.check_available()
    dnsmos_ok = why is None
    models = [("shipped" if a.base is None else "base", base), ("adapted", adapted)]
    names = ["input"] + [n for n, _ in models]
    res = score(models, eval_items(held, voices, a.seed), dnsmos_ok, a.jobs)
    left = noise_left(models, held)
    print(table(f"Your noise, held out ({seconds(held):.0f} s), under {len(voices)} held-out "
                f"voices at {', '.join(str(s) for s in EVAL_SNRS)} dB SNR:", res, names, dnsmos_ok))
    print(f"Noise alone: {models[0][0]} leaves {left[models[0][0]]:+.1f} dB, adapted "
          f"{left['adapted']:+.1f} dB.")
    if not dnsmos_ok:
        print(f"(DNSMOS not run: {why})")
    dev = dev_items(os.path.join(data_dir, "dev", "mix48"))
    if dev is not None:
        title = f"Everything else: dev/mix48 ({len(dev)} mixtures of other noises):"
    else:
        dev = synthetic_items(voices, a.seed)
        title = f"Everything else: the held-out voices over synthetic noises at 5 dB ({len(dev)}):"
    gen = score(models, dev, False, a.jobs)
    print(table(title, gen, names, False))
    d_sdr = gen["adapted"]["si_sdr"] - gen[models[0][0]]["si_sdr"]
    d_stoi = gen["adapted"]["stoi"] - gen[models[0][0]]["stoi"]
    ok = d_sdr >= -TOL_SI_SDR_DB and d_stoi >= -TOL_STOI
    print(f"{'OK' if ok else 'WORSE'}: SI-SDR {d_sdr:+.2f} dB, STOI {d_stoi:+.3f} against the "
          f"{models[0][0]} model (tolerance -{TOL_SI_SDR_DB} dB, -{TOL_STOI})"
          + ("" if ok else ": the adapted model lost more elsewhere than it should; try fewer "
             "--minutes or more varied noise"))
    say(f"done in {(time.time() - t_start) / 60:.1f} min", a.quiet)


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    try:
        run(a)
    except AdaptError as e:
        print(f"quell-adapt: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("\nquell-adapt: interrupted; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
