"""smoothing_sweep.py — what the engine's gain smoothing and attenuation limit are worth.

The blob's network (C engine through libquell_dsp.so) estimates band gains and a voice
probability from each noisy dev item; the engine's own smoothing (dsp/quell_gain_smoothing.c,
called frame by frame, coefficients overridden per variant) and the attenuation limit (a gain
floor, as quell_engine.c mixes it) turn them into applied gains, which the engine's filterbank
applies to the noisy input (model/quell_dsp.apply_gains). Scored like `make eval` (SI-SDR, STOI,
DNSMOS P.835), overall and by input SNR. This is the engine's gain path without the plugin
around it: on dev/mix48 its "release 15, rises at once, limit 30" row matched the plugin as it
was before the pause rise (OVRL 2.258 vs `make eval`'s 2.26).

Word onsets, per variant: the clean speech energy the applied gains keep (band energies through
the engine's analysis) in the first 15 and 30 ms of every onset (a frame within 30 dB of the
item's loudest after at least 30 ms under -40 dB), and the same at a cold start: each item cut to
begin one frame before its first word (first frame within 20 dB of the loudest), the network and
the smoothing starting from their reset state as the plugin does after instantiate.

A variant is NAME=RELEASE_MS/PAUSE_RISE_MS/VOICE_THRESHOLD/LIMIT_DB[/START] (pause rise 0: rises
at once everywhere; limit 100: none; START the gains after a reset, 1 as shipped (default), 0 closed).

    /usr/bin/python3 model/smoothing_sweep.py [--set mix48|noizeus] [--limit N] [--snr -5,0]
        [--variant NAME=30/50/0.5/30 ...]
"""
import argparse
import collections
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dnsmos  # noqa: E402
import eval as quell_eval  # noqa: E402
import metrics  # noqa: E402
import quell_dsp  # noqa: E402

DEFAULT_VARIANTS = (
    "before: release 15, rises at once, limit 30=15/0/0.5/30",
    "release 15, rises at once, no limit=15/0/0.5/100",
    "release 30, rises at once, no limit=30/0/0.5/100",
    "release 60, rises at once, no limit=60/0/0.5/100",
    "shipped: release 30, pause rise 50 ms, limit 30=30/50/0.5/30",
    "shipped smoothing, gains start closed, limit 30=30/50/0.5/30/0",
    "shipped smoothing, limit 50=30/50/0.5/50",
    "shipped smoothing, no limit=30/50/0.5/100",
    "pause rise 25 ms at voice < 0.3, no limit=30/25/0.3/100",
)


def parse_variant(text):
    name, _, spec = text.rpartition("=")
    values = [float(v) for v in spec.split("/")]
    if len(values) not in (4, 5):
        raise SystemExit(f"smoothing_sweep.py: bad variant {text!r} (RELEASE/RISE/THRESHOLD/LIMIT[/START])")
    return (name or spec, *values[:4], values[4] if len(values) == 5 else 1.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blob", default=os.path.join(HERE, "quell.qwb"))
    ap.add_argument("--shared", default=os.environ.get("QUELL_SHARED",
                                                       os.path.join(HERE, "..", "..", "shared")))
    ap.add_argument("--set", choices=("mix48", "noizeus"), default="mix48")
    ap.add_argument("--limit", type=int, default=0, help="items spread evenly over the set (0 = all)")
    ap.add_argument("--snr", default="", help="only these input SNRs (comma-separated)")
    ap.add_argument("--work", default=os.path.join(HERE, "..", "build", "eval"),
                    help="where make eval keeps the 16 kHz NOIZEUS copies (made when missing)")
    ap.add_argument("--variant", action="append", default=[])
    a = ap.parse_args()
    root = os.path.join(a.shared, "data", "dev", a.set)
    if not os.path.isdir(root):
        sys.exit(f"smoothing_sweep.py: {root} not found (set QUELL_SHARED to the shared folder)")
    problem = dnsmos.check_available()
    if problem:
        sys.exit(f"smoothing_sweep.py: DNSMOS unavailable: {problem}")
    variants = [parse_variant(v) for v in (a.variant or DEFAULT_VARIANTS)]
    model = quell_dsp.Model.load(a.blob)
    cfg = model.config()
    if a.set == "mix48":
        items = quell_eval.mix48_items(a.shared)
    else:
        items = quell_eval.noizeus_items(a.shared, os.path.abspath(a.work))
    items = quell_eval.evenly_spaced(items, a.limit)
    if a.snr:
        keep = {int(s) for s in a.snr.split(",")}
        items = [it for it in items if it.snr is not None and int(it.snr) in keep]
    if a.set == "noizeus":
        quell_eval.prepare_noizeus(items)

    signals, rows = [], []
    onset_kept = collections.defaultdict(lambda: np.zeros((2, 2, 2)))  # [onset/cold, 15/30 ms, in/kept]
    windows = (3, 6)  # frames: 15 and 30 ms

    def applied(raw, vp, hop, rate, release, rise, thr, limit, start):
        return quell_dsp.apply_atten_limit(
            quell_dsp.smooth_gains(raw, vp, hop / rate, release, rise, thr, start), limit)

    for it in items:
        noisy, rate = quell_eval.read_mono(it.noisy)
        clean, _ = quell_eval.read_mono(it.clean)
        n = min(len(noisy), len(clean))
        noisy, clean = noisy[:n].astype(np.float32), clean[:n].astype(np.float32)
        feats, _, e_clean = quell_dsp.analyze(cfg, rate, noisy, clean)
        raw, vp = model.run_net(feats)
        hop = quell_dsp.hop_samples(cfg, rate)
        level = 10.0 * np.log10(e_clean.sum(1) / max(e_clean.sum(1).max(), 1e-20) + 1e-12)
        onsets = [t for t in range(6, len(level) - windows[-1])
                  if level[t] > -30 and level[t - 6:t].max() < -40]
        first = int(np.argmax(level > -20))
        cut = max(0, first - 1) * hop
        c_feats, _, c_clean = quell_dsp.analyze(cfg, rate, noisy[cut:], clean[cut:])
        c_raw, c_vp = model.run_net(c_feats)
        for name, release, rise, thr, limit, start in variants:
            g = applied(raw, vp, hop, rate, release, rise, thr, limit, start)
            c_g = applied(c_raw, c_vp, hop, rate, release, rise, thr, limit, start)
            for w, span in enumerate(windows):
                for t in onsets:
                    onset_kept[name][0, w] += (e_clean[t:t + span].sum(),
                                               (g[t:t + span] ** 2 * e_clean[t:t + span]).sum())
                onset_kept[name][1, w] += (c_clean[:span + 1].sum(),
                                           (c_g[:span + 1] ** 2 * c_clean[:span + 1]).sum())
            y = quell_dsp.apply_gains(cfg, rate, noisy, g)[2 * hop:]
            ref = clean[:len(y)]
            signals.append((y, rate))
            rows.append((name, it.snr, metrics.si_sdr(ref, y), metrics.stoi(ref, y, rate)))
    scores = dnsmos.score_signals(signals)
    overall = collections.defaultdict(list)
    by_snr = collections.defaultdict(list)
    for (name, snr, sdr, stoi), d in zip(rows, scores):
        overall[name].append((stoi, sdr, d["OVRL"], d["SIG"], d["BAK"]))
        by_snr[(name, snr)].append(d["OVRL"])
    snrs = sorted({snr for _, snr, _, _ in rows if snr is not None})
    print(f"dev/{a.set}: {len(items)} items, blob {a.blob}")
    print("| variant | STOI | SI-SDR dB | OVRL | SIG | BAK | OVRL by SNR " +
          " / ".join(f"{s:g}" for s in snrs) + " |")
    print("|---|---|---|---|---|---|---|")
    for name, *_ in variants:
        m = np.mean(overall[name], axis=0)
        per = " / ".join(f"{np.mean(by_snr[(name, s)]):.2f}" for s in snrs)
        print(f"| {name} | {m[0]:.3f} | {m[1]:.2f} | {m[2]:.3f} | {m[3]:.2f} | {m[4]:.2f} | {per} |")
    print("\nspeech kept at word onsets, dB (first 15 / 30 ms; onsets in the items, then cold starts):")
    print("| variant | onsets 15 ms | onsets 30 ms | cold start 15 ms | cold start 30 ms |")
    print("|---|---|---|---|---|")
    for name, *_ in variants:
        k = onset_kept[name]
        db = 10.0 * np.log10(np.maximum(k[..., 1], 1e-20) / np.maximum(k[..., 0], 1e-20))
        print(f"| {name} | {db[0, 0]:.2f} | {db[0, 1]:.2f} | {db[1, 0]:.2f} | {db[1, 1]:.2f} |")


if __name__ == "__main__":
    main()
