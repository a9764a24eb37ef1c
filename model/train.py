"""train.py — trains Quell's gain estimator (PyTorch, CPU is enough) on a feature cache.

The network is exactly the one model/FORMAT.md describes and dsp/quell_net.c runs:
  x' = (x - mean) * scale -> dense tanh (input_hidden) -> gru_layers stacked GRUs (gru_hidden)
  -> concat of every GRU's output -> gain dense sigmoid (nb_bands), vad dense sigmoid (1).

Loss (per frame, masked where the target is unknown, see model/data.py):
  bands:  mean_b w * [ d^2 + 10 d^4 ],  d = sqrt(g_pred) - sqrt(g_true)   (RNNoise's form: the
          square root compresses gains so small-gain errors count, the 4th power punishes large
          misses), w = 1 + SPEECH_GUARD where g_pred < g_true (eating speech costs more than
          leaving a little noise: speech distortion is what listeners and STOI punish first);
          with --guard-voiced (the shipped second stage) only in frames with voice activity
  spec:   --spec-weight * mean_b w * E^0.3 (g_pred^0.3 - g_true^0.3)^2, E the noisy band energy
          (from the features) normalised per clip: DeepFilterNet's compressed-magnitude loss in
          the band domain. The RNNoise term alone weighs a quiet noise band like a loud speech
          band and left gains on clearly voiced bands around 0.6 (measured on held-out clips).
  env:    --stoi-weight * (1 - mean correlation of enhanced and clean band envelopes over 320 ms
          segments, bands 150 Hz-4.5 kHz, voiced segments): STOI's own measure in the band
          domain (the shipped second stage uses it; see model/model.mk for what it measured).
  sdr:    --sdr-weight * band-domain SDR in dB per clip (band_sdr_loss): the error energy of the
          enhanced bands over the clean energy, every band-frame weighed by its energy as SI-SDR
          and a listener weigh it.
  onset:  --onset-guard (off) multiplies the speech guard by 1 + W exp(-t / --onset-frames) from
          each clip's start (see onset_factor).
  noise:  --noise-guard N adds N to w where g_pred > g_true in frames without voice activity (the
          speech guard's mirror: noise left in pauses)
  vad:    VAD_WEIGHT * BCE(p_vad, vad)
The gain terms aim at g ** --target-power (2 in the shipped second stage: the Wiener gain).

Defaults (the first stage of the shipped model; `make train` runs it with --steps 1400, then a
second stage from its weights, see model/model.mk):
  --cache model/cache/train  --seed 1  --steps 1400  --batch 32  --seq 250  --lr 2e-3
  --spec-weight 2
  --input-hidden 128  --gru-layers 2  --gru-hidden 128  (config from model/data.py: 40 bands)
Clips are 1000 frames, trained as four 250-frame chunks with the GRU state carried across
(truncated back-propagation, one optimiser update per chunk), so each clip starts from zero
state as the plugin does. 1400 steps = 5600 updates = 44.8 M frames (about 3.2 passes over the
14000-clip cache): about 27,000 frames/s wall on an idle 2-core machine (batch 32 is the
fastest per frame here: 64 and 128 run at 23,000 and 17,000 frames/s); model/MODEL.md has the
measured wall and CPU times.
Checkpoints: model/checkpoints/<run>.pt every --ckpt-every steps and at the end; `--resume`
continues from one (same batches, same result as an uninterrupted run).

    nice -n 5 /usr/bin/python3 model/train.py --run shipped
"""
import argparse
import json
import math
import os
import sys
import time

# Idle OpenMP threads sleep instead of spinning: on a shared, busy machine spinning steals the
# very cores the other thread needs (must be set before torch loads).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

SPEECH_GUARD = 0.5
VAD_WEIGHT = 0.1


class QuellNet(nn.Module):
    """The FORMAT.md network. Features in [B, T, nfeat]; gains [B, T, nb], vad [B, T]."""

    def __init__(self, nfeat, nb_bands, input_hidden, gru_layers, gru_hidden, input_lags=()):
        super().__init__()
        self.register_buffer("norm_mean", torch.zeros(nfeat))
        self.register_buffer("norm_scale", torch.ones(nfeat))
        self.input = nn.Linear(nfeat, input_hidden)
        # Lag taps (FORMAT.md `input.weight_lag{n}`): the dense layer also sees how far the
        # normalised features moved since frame t - n, so one layer can see onsets, transients
        # and how fast a band moves over 5-20 ms (what RNNoise's delta features give it) before
        # the GRUs; without them the first layer sees one frame only. Trained on the difference
        # x_t - x_{t-n}, not on x_{t-n}: neighbouring frames are nearly equal, and Adam's steps
        # on weights of four nearly equal inputs add up (taps on the frames themselves, from
        # zero on a trained model, raised the validation loss 5 % in 100 steps). The blob holds
        # the same function as weights per frame (export.model_tensors converts).
        self.input_lags = tuple(sorted(int(n) for n in input_lags))
        self.lag = nn.ModuleDict({str(n): nn.Linear(nfeat, input_hidden, bias=False)
                                  for n in self.input_lags})
        for lin in self.lag.values():
            nn.init.zeros_(lin.weight)
        self.grus = nn.ModuleList(
            nn.GRU(input_hidden if i == 0 else gru_hidden, gru_hidden, batch_first=True)
            for i in range(gru_layers))
        self.gain = nn.Linear(gru_layers * gru_hidden, nb_bands)
        self.vad = nn.Linear(gru_layers * gru_hidden, 1)

    def forward(self, x, state=None):
        """state: None at a clip's start, else the list this returned for the previous chunk
        (one tensor per GRU, then, with lag taps, the last max-lag normalised frames)."""
        xn = (x - self.norm_mean) * self.norm_scale
        pre = self.input(xn)
        new_ctx = None
        if self.input_lags:
            L, T = self.input_lags[-1], x.shape[1]
            # Before a clip's first frame the history holds that frame itself (no change yet), as
            # the C engine primes its ring after a reset: zeros would read as a loud onset.
            ctx = xn[:, :1].expand(-1, L, -1) if state is None else state[-1]
            full = torch.cat([ctx, xn], dim=1)
            for n in self.input_lags:
                pre = pre + self.lag[str(n)](xn - full[:, L - n:L - n + T])
            new_ctx = full[:, -L:]
        h = torch.tanh(pre)
        outs, new_state = [], []
        for i, gru in enumerate(self.grus):
            h, s = gru(h, None if state is None else state[i])
            outs.append(h)
            new_state.append(s)
        c = torch.cat(outs, dim=-1)
        if new_ctx is not None:
            new_state.append(new_ctx)
        return torch.sigmoid(self.gain(c)), torch.sigmoid(self.vad(c)).squeeze(-1), new_state


def macs_per_frame(nfeat, nb, ih, layers, hid, nlags=0):
    """Multiply-accumulates per frame of the network (matrix products only)."""
    m = nfeat * ih * (1 + nlags)
    for i in range(layers):
        m += 3 * hid * ((ih if i == 0 else hid) + hid)
    return m + (nb + 1) * layers * hid


def envelope_corr_loss(gp, g, x, v, m, bands, win=64, hop=32):
    """1 - mean short-time correlation of enhanced and clean band envelopes: STOI's measure
    (Taal 2011: 384 ms segments of 1/3-octave envelopes, correlated) in Quell's band domain,
    differentiable. Envelope = gain * noisy band amplitude; only STOI's bands (`bands`, a bool
    mask), segments with a known target throughout and mostly voiced."""
    nb = g.shape[-1]
    a = torch.pow(10.0, 0.5 * x[..., :nb])
    yp = (gp * a)[..., bands].unfold(1, win, hop)           # [B, W, nbs, win]
    yt = (g.clamp(min=0.0) * a)[..., bands].unfold(1, win, hop)
    mk = m[..., bands].unfold(1, win, hop).amin(dim=-1)      # [B, W, nbs]
    vw = (v.clamp(min=0.0).unfold(1, win, hop).mean(dim=-1) > 0.3).float().unsqueeze(-1)
    dp = yp - yp.mean(dim=-1, keepdim=True)
    dt = yt - yt.mean(dim=-1, keepdim=True)
    st = (dt * dt).sum(-1)
    sp = (dp * dp).sum(-1)
    eps = 1e-4 * (yt * yt).sum(-1) + 1e-20
    corr = (dp * dt).sum(-1) / torch.sqrt((sp + eps) * (st + eps))
    w = mk * vw
    return (w * (1.0 - corr)).sum() / w.sum().clamp(min=1.0)


def band_sdr_loss(gp, g, x, m):
    """Mean over clips of the band-domain signal-to-distortion ratio in dB (lower is better):
    10 log10 of the error energy of the enhanced signal, sum_t,b E (s (1 - gp)^2 + (1 - s) gp^2)
    with s = g^2 = E_clean / E_noisy the speech share of band energy E (speech and noise taken as
    uncorrelated), over the clean energy sum E s. It is the SI-SDR-like error of a gain gp: every
    joule of speech removed or noise kept counts the same, so loud voiced frames, which hold
    nearly all of a clip's energy, weigh as much as they do in SI-SDR and to a listener; the
    per-frame band terms weigh each band-frame alike and left loud voiced low bands at gains
    near 0.8 (measured on dev/mix48 at 15-20 dB SNR: 10 dB more speech distortion than the
    Wiener gains). Both sums get 1e-3 of the clip's noisy energy, so nothing more than 30 dB
    under the mixture (the default attenuation limit) is worth chasing, and a speech-free clip
    scores its residual noise against that floor instead of against nothing."""
    nb = g.shape[-1]
    e = torch.pow(10.0, x[..., :nb].clamp(max=4.0)) * m
    e = e / e.mean(dim=(1, 2), keepdim=True).clamp(min=1e-20)
    s = g.clamp(0.0, 1.0) ** 2
    err = (e * (s * (1.0 - gp) ** 2 + (1.0 - s) * gp ** 2)).sum(dim=(1, 2))
    ref = (e * s).sum(dim=(1, 2))
    # + 1e-12: a clip with every band masked (digital silence) scores 0 dB with no gradient
    # instead of 0/0.
    floor = 1e-3 * e.sum(dim=(1, 2)) + 1e-12
    return (10.0 * torch.log10((err + floor) / (ref + floor))).mean()


def onset_factor(t0, T, onset_guard, onset_frames):
    """[T] multiplier of the speech guard for frames t0 .. t0 + T - 1 of a clip:
    1 + onset_guard * exp(-t / onset_frames). A clip starts from zero state as the plugin does
    after instantiate, and a network trained on the old features (no MEAN_WARMUP) turned the first
    words of short files down. The guard against eating speech weighs more there. Off: measured
    on those features it gave a fifth of what the feature warm-up gave (model/HISTORY.md)."""
    t = torch.arange(t0, t0 + T, dtype=torch.float32)
    return 1.0 + onset_guard * torch.exp(-t / max(float(onset_frames), 1.0))


def loss_fn(gp, vp, g, v, x=None, spec_weight=0.0, speech_guard=SPEECH_GUARD, guard_voiced=False,
            stoi_weight=0.0, stoi_bands=None, target_power=1.0, sdr_weight=0.0,
            onset_guard=0.0, onset_frames=200, t0=0, noise_guard=0.0):
    """Masked RNNoise-style band loss (+ energy-weighted spectral term when x, the features,
    is given) + VAD BCE. Targets < 0 are masked. g is the cache's amplitude-ratio gain
    sqrt(E_clean / E_noisy); the gain terms aim at g ** target_power (2: the Wiener gain
    E_clean / E_noisy), the envelope term always at the clean envelope g * |X|. t0 is the
    clip frame of the chunk's first frame (for the onset guard)."""
    m = (g >= 0).float()
    gt = g.clamp(min=0.0)
    if target_power != 1.0:
        gt = gt ** target_power
    d = torch.sqrt(gp + 1e-8) - torch.sqrt(gt + 1e-8)
    under = (gp < gt).float()
    if guard_voiced:  # guard only frames with speech: in speech-free frames it only keeps noise
        under = under * (v > 0.5).float().unsqueeze(-1)
    if onset_guard > 0:
        under = under * onset_factor(t0, g.shape[1], onset_guard, onset_frames).view(1, -1, 1)
    w = 1.0 + speech_guard * under
    if noise_guard > 0:
        # The mirror of the speech guard, in frames without voice activity: a gain left above
        # its target there is noise heard in a pause, what DNSMOS BAK and a listener mark down.
        over = (gp > gt).float() * (v.clamp(min=0.0) <= 0.5).float().unsqueeze(-1)
        w = w + noise_guard * over
    lg = (m * w * (d * d + 10.0 * d ** 4)).sum() / m.sum().clamp(min=1.0)
    if x is not None and spec_weight > 0:
        # DeepFilterNet-style compressed-magnitude loss in the band domain: the error of the
        # enhanced band magnitude |g X|^0.3 against the clean one, = E^0.15 (g^0.3 - g*^0.3).
        # Squared, each band weighs E_noisy^0.3 (normalised per clip): loud bands, where speech
        # lives and where SI-SDR/STOI look, count more than quiet ones.
        nb = g.shape[-1]
        e = torch.pow(10.0, 0.3 * x[..., :nb].clamp(max=2.0)) * m
        e = e / e.mean(dim=(1, 2), keepdim=True).clamp(min=1e-12)
        ds = torch.pow(gp + 1e-6, 0.3) - torch.pow(gt + 1e-6, 0.3)
        lg = lg + spec_weight * (e * w * ds * ds).sum() / m.sum().clamp(min=1.0)
    if x is not None and stoi_weight > 0:
        lg = lg + stoi_weight * envelope_corr_loss(gp, g, x, v, m, stoi_bands)
    if x is not None and sdr_weight > 0:
        lg = lg + sdr_weight * band_sdr_loss(gp, g, x, m)
    mv = (v >= 0).float()
    bce = -(v.clamp(min=0) * torch.log(vp + 1e-7) + (1 - v.clamp(min=0)) * torch.log(1 - vp + 1e-7))
    lv = (mv * bce).sum() / mv.sum().clamp(min=1.0)
    return lg + VAD_WEIGHT * lv, lg.detach(), lv.detach()


def feature_stats(feats, nclips=400):
    """Per-feature mean and 1/std over a sample of clips (fixed: first nclips)."""
    f = np.asarray(feats[:nclips], np.float32).reshape(-1, feats.shape[-1])
    mean = f.mean(axis=0)
    std = f.std(axis=0)
    return mean, 1.0 / np.maximum(std, 1e-3)


def evaluate(model, F, G, V, idx, seq, spec_weight, speech_guard=SPEECH_GUARD, batch=32,
             guard_voiced=False, stoi_weight=0.0, stoi_bands=None, target_power=1.0,
             sdr_weight=0.0, onset_guard=0.0, onset_frames=200, noise_guard=0.0):
    model.eval()
    tot = [0.0, 0.0, 0.0]
    n = 0
    with torch.no_grad():
        for s in range(0, len(idx), batch):
            b = idx[s:s + batch]
            x = torch.from_numpy(np.asarray(F[b], np.float32))
            gp, vp, _ = model(x)
            g = torch.from_numpy(np.asarray(G[b], np.float32))
            v = torch.from_numpy(np.asarray(V[b], np.float32))
            l, lg, lv = loss_fn(gp, vp, g, v, x, spec_weight, speech_guard, guard_voiced,
                                stoi_weight, stoi_bands, target_power, sdr_weight,
                                onset_guard, onset_frames, noise_guard=noise_guard)
            for k, val in enumerate((l, lg, lv)):
                tot[k] += float(val) * len(b)
            n += len(b)
    model.train()
    return [t / max(n, 1) for t in tot]


def main():
    import data
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", default=os.path.join(HERE, "cache", "train"))
    ap.add_argument("--run", default="shipped", help="checkpoint/run name")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=1400)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=250, help="frames per back-propagation chunk")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--input-hidden", type=int, default=128)
    ap.add_argument("--gru-layers", type=int, default=2)
    ap.add_argument("--gru-hidden", type=int, default=128)
    ap.add_argument("--spec-weight", type=float, default=2.0,
                    help="weight of the energy-weighted compressed-magnitude term")
    ap.add_argument("--val-frac", type=float, default=0.02)
    ap.add_argument("--ckpt-every", type=int, default=25)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--init", default="",
                    help="start from this checkpoint's weights and feature statistics (a second "
                         "stage: fresh optimiser and learning-rate schedule)")
    ap.add_argument("--speech-guard", type=float, default=SPEECH_GUARD,
                    help="extra loss weight where the predicted gain is below the target")
    ap.add_argument("--guard-voiced", action="store_true",
                    help="apply the speech guard only in frames with voice activity")
    ap.add_argument("--stoi-weight", type=float, default=0.0,
                    help="weight of the band-envelope correlation term (STOI's measure)")
    ap.add_argument("--target-power", type=float, default=1.0,
                    help="train the gains toward g ** P, g = sqrt(E_clean / E_noisy) (2: the "
                         "Wiener gain E_clean / E_noisy, the least-squares band gain)")
    ap.add_argument("--sdr-weight", type=float, default=0.0,
                    help="weight of the band-domain SDR term (dB; energy-weighted error, see "
                         "band_sdr_loss)")
    ap.add_argument("--onset-guard", type=float, default=0.0,
                    help="extra speech guard at the start of each clip, 1 + W exp(-t / "
                         "--onset-frames) times the guard (see onset_factor)")
    ap.add_argument("--onset-frames", type=float, default=200.0,
                    help="decay of the onset guard in frames (200 = 1 s)")
    ap.add_argument("--noise-guard", type=float, default=0.0,
                    help="extra loss weight where the predicted gain is above the target in "
                         "frames without voice activity (noise left in pauses)")
    ap.add_argument("--input-lags", default="",
                    help="comma-separated frame lags whose normalised features the dense layer "
                         "also sees (e.g. 1,2,4; empty: none). With --init from a model without "
                         "them, their weights start at zero: the same function, then trained")
    ap.add_argument("--bench", type=int, default=0, help="time this many steps and exit")
    a = ap.parse_args()

    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    torch.set_num_threads(a.threads)
    F, G, V, meta = data.open_cache(a.cache)
    # Whole cache in memory (float16, under 1 GB for 5 hours): random access is then free.
    F, G, V = np.ascontiguousarray(F), np.ascontiguousarray(G), np.ascontiguousarray(V)
    cfgd = dict(meta["config"])
    cfgd.update(input_hidden=a.input_hidden, gru_layers=a.gru_layers, gru_hidden=a.gru_hidden)
    lags = tuple(int(n) for n in a.input_lags.split(",") if n.strip())
    if lags:
        cfgd["input_lags"] = list(lags)
    nclips, T, nfeat = F.shape
    nb = G.shape[-1]
    nval = max(1, int(nclips * a.val_frac))
    # STOI's bands: 1/3 octaves from 150 Hz to 4.3 kHz (Taal 2011).
    import quell_dsp
    centres = quell_dsp.band_centres(quell_dsp.QuellConfig.from_dict(meta["config"]))
    stoi_bands = torch.from_numpy((centres >= 150.0) & (centres <= 4500.0))
    train_idx = np.arange(nclips - nval)
    val_idx = np.arange(nclips - nval, nclips)
    chunks = T // a.seq

    model = QuellNet(nfeat, nb, a.input_hidden, a.gru_layers, a.gru_hidden, lags)
    mean, scale = feature_stats(F[train_idx])
    model.norm_mean.copy_(torch.from_numpy(mean))
    model.norm_scale.copy_(torch.from_numpy(scale))
    if a.init:
        # strict=False only for lag taps the initial model lacks (they stay zero); anything
        # else missing or unexpected is an error.
        res = model.load_state_dict(torch.load(a.init)["model"], strict=False)
        bad = [k for k in res.missing_keys if not k.startswith("lag.")] + list(res.unexpected_keys)
        if bad:
            raise SystemExit(f"{a.init}: does not fit this network: {bad}")
        print(f"initialised from {a.init}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4, betas=(0.9, 0.99))

    def lr_at(step):  # short warm-up, then cosine decay to 5% of the peak
        if step < 20:
            return a.lr * (step + 1) / 20
        p = (step - 20) / max(1, a.steps - 20)
        return a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))

    ckdir = os.path.join(HERE, "checkpoints")
    os.makedirs(ckdir, exist_ok=True)
    ckpath = os.path.join(ckdir, f"{a.run}.pt")
    step, elapsed, cpu, history = 0, 0.0, 0.0, []
    if a.resume and os.path.exists(ckpath):
        ck = torch.load(ckpath)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, elapsed, history = ck["step"], ck["elapsed"], ck["history"]
        cpu = ck.get("cpu", 0.0)
        print(f"resumed {ckpath} at step {step}", flush=True)

    def save(final=False):
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "elapsed": elapsed, "cpu": cpu, "history": history, "config": cfgd, "args": vars(a),
                    "cache_meta": meta}, ckpath + ".tmp")
        os.replace(ckpath + ".tmp", ckpath)

    params = sum(p.numel() for p in model.parameters())
    macs = macs_per_frame(nfeat, nb, a.input_hidden, a.gru_layers, a.gru_hidden, len(lags))
    print(f"model: {params} parameters, {macs} MAC/frame = {macs * 200 / 1e6:.1f} MMAC/s at 200 "
          f"frames/s; {len(train_idx)} train clips, {nval} val clips of {T} frames", flush=True)

    per_epoch = len(train_idx) // a.batch
    t_last, c_last = time.time(), time.process_time()
    frames_done, frames_total = 0, 0
    loss_acc = [0.0, 0.0, 0.0, 0]
    while step < (a.bench or a.steps):
        # The batch of a step depends only on (seed, step): resuming replays the same batches.
        epoch, k = divmod(step, per_epoch)
        perm = np.random.default_rng([a.seed, epoch]).permutation(train_idx)
        b = np.sort(perm[k * a.batch:(k + 1) * a.batch])
        x_all = torch.from_numpy(F[b].astype(np.float32))
        g_all = torch.from_numpy(G[b].astype(np.float32))
        v_all = torch.from_numpy(V[b].astype(np.float32))
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        state = None
        for c in range(chunks):
            sl = slice(c * a.seq, (c + 1) * a.seq)
            gp, vp, state = model(x_all[:, sl], state)
            state = [s.detach() for s in state]
            loss, lg, lv = loss_fn(gp, vp, g_all[:, sl], v_all[:, sl], x_all[:, sl], a.spec_weight,
                                     a.speech_guard, a.guard_voiced, a.stoi_weight, stoi_bands,
                                     a.target_power, a.sdr_weight, a.onset_guard, a.onset_frames,
                                     t0=c * a.seq, noise_guard=a.noise_guard)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            loss_acc[0] += float(loss); loss_acc[1] += float(lg); loss_acc[2] += float(lv)
            loss_acc[3] += 1
        frames_done += len(b) * chunks * a.seq
        step += 1
        if step % 5 == 0 or step == a.steps or a.bench:
            now = time.time()
            elapsed += now - t_last
            cpu += time.process_time() - c_last
            fps = frames_done / (now - t_last)
            frames_total += frames_done
            t_last, c_last, frames_done = now, time.process_time(), 0
            n = max(loss_acc[3], 1)
            print(f"step {step}/{a.steps} loss {loss_acc[0] / n:.4f} (gain {loss_acc[1] / n:.4f}"
                  f" vad {loss_acc[2] / n:.4f}) lr {lr_at(step - 1):.2e} {fps:.0f} frames/s "
                  f"{elapsed / 60:.1f} min (cpu {cpu / 60:.1f} min)", flush=True)
            loss_acc = [0.0, 0.0, 0.0, 0]
        if a.bench:
            continue
        if step % a.ckpt_every == 0 or step == a.steps:
            vl = evaluate(model, F, G, V, val_idx, a.seq, a.spec_weight, a.speech_guard,
                          guard_voiced=a.guard_voiced, stoi_weight=a.stoi_weight,
                          stoi_bands=stoi_bands, target_power=a.target_power,
                          sdr_weight=a.sdr_weight, onset_guard=a.onset_guard,
                          onset_frames=a.onset_frames, noise_guard=a.noise_guard)
            history.append({"step": step, "val_loss": vl[0], "val_gain": vl[1], "val_vad": vl[2],
                            "minutes": elapsed / 60, "cpu_minutes": cpu / 60})
            print(f"  val loss {vl[0]:.4f} (gain {vl[1]:.4f} vad {vl[2]:.4f})", flush=True)
            save()
    if a.bench:
        return
    summary = {"run": a.run, "steps": step, "train_minutes": round(elapsed / 60, 1),
               "cpu_minutes": round(cpu / 60, 1),
               "frames": step * a.batch * chunks * a.seq,
               "frames_per_s_wall": round(step * a.batch * chunks * a.seq / max(elapsed, 1e-9)),
               "final": history[-1] if history else None, "parameters": params,
               "macs_per_frame": macs, "config": cfgd, "args": vars(a)}
    with open(os.path.join(ckdir, f"{a.run}.json"), "w") as fh:
        json.dump(summary, fh, indent=1)
    print(json.dumps(summary["final"]), flush=True)


if __name__ == "__main__":
    main()
