"""distortion.py — where does the model lose speech? Speech kept vs noise removed by its gains.

For each dev/mix48 pair (or NOIZEUS pair, --set noizeus) at the chosen SNRs, the blob's network (run by the C engine through
libquell_dsp.so, raw gains: no release smoothing, no attenuation limit) estimates band gains
from the noisy input; those gains, and for comparison the exact Wiener gains E_clean / E_noisy,
are then applied through the engine's own filterbank to the clean part and to the noise part
separately (the filter is linear, so the two parts add up to the enhanced signal). That splits
the output error into
  speech kept:  SDR of the filtered clean part against the clean reference (higher = less
                speech removed or coloured),
  noise change: level of the filtered noise part against the unfiltered noise (more negative =
                more removed),
and says in which bands and in how loud frames the speech is lost (the band share is
sum_t E_clean (1 - g)^2, the speech energy a gain g removes, normalised by the clip's clean energy).

With --warm a third row runs the network on features computed over the file played twice (the
second pass: the running means have heard the whole file once; the network still starts from
zero state): how much a cold start of the normalised features costs on short files.

    /usr/bin/python3 model/distortion.py [--blob model/quell.qwb] [--snr 15,20]
    /usr/bin/python3 model/distortion.py --set noizeus --limit 240 --snr 0,5,10,15 --warm
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import eval as quell_eval  # noqa: E402  (the dev/mix48 item list and reader make eval uses)
import metrics  # noqa: E402
import quell_dsp  # noqa: E402

LOUDNESS_EDGES_DB = (0, -10, -20, -30, -40)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blob", default=os.path.join(HERE, "quell.qwb"))
    ap.add_argument("--shared", default=os.environ.get("QUELL_SHARED",
                                                       os.path.join(HERE, "..", "..", "shared")))
    ap.add_argument("--snr", default="15,20", help="input SNRs to include")
    ap.add_argument("--set", choices=("mix48", "noizeus"), default="mix48")
    ap.add_argument("--limit", type=int, default=0, help="items spread evenly over the set (0 = all)")
    ap.add_argument("--work", default=os.path.join(HERE, "..", "build", "eval"),
                    help="where make eval keeps the 16 kHz NOIZEUS copies (made when missing)")
    ap.add_argument("--warm", action="store_true",
                    help="add a row with the features of a second pass over each file")
    a = ap.parse_args()
    root = os.path.join(a.shared, "data", "dev", a.set)
    if not os.path.isdir(root):
        sys.exit(f"distortion.py: {root} not found (set QUELL_SHARED to the shared folder)")
    snrs = {int(s) for s in a.snr.split(",")}
    model = quell_dsp.Model.load(a.blob)
    cfg = model.config()
    centres = quell_dsp.band_centres(cfg)
    if a.set == "mix48":
        items = quell_eval.paired_items(a.shared, 'mix48')
    else:
        items = quell_eval.noizeus_items(a.shared, os.path.abspath(a.work))
    items = quell_eval.evenly_spaced(items, a.limit)
    items = [it for it in items if it.snr is not None and int(it.snr) in snrs]
    if not items:
        sys.exit(f"distortion.py: no dev/{a.set} items at SNR {sorted(snrs)}")
    if a.set == "noizeus":
        quell_eval.prepare_noizeus(items)

    names = ["network", "wiener"] + (["network, warm features"] if a.warm else [])
    scores = {name: [] for name in names}
    band_loss = {name: np.zeros(cfg.nb_bands) for name in names}
    loud_loss = {name: np.zeros(len(LOUDNESS_EDGES_DB)) for name in names}
    for it in items:
        noisy, rate = quell_eval.read_mono(it.noisy)
        clean, _ = quell_eval.read_mono(it.clean)
        n = min(len(noisy), len(clean))
        noisy, clean = noisy[:n].astype(np.float32), clean[:n].astype(np.float32)
        noise = noisy - clean
        feats, e_noisy, e_clean = quell_dsp.analyze(cfg, rate, noisy, clean)
        gains = {"network": model.run_net(feats)[0],
                 "wiener": quell_dsp.ideal_band_gains(e_noisy, e_clean, 2.0)}
        if a.warm:
            twice, _, _ = quell_dsp.analyze(cfg, rate, np.concatenate([noisy, noisy]),
                                            energies=False)
            gains["network, warm features"] = model.run_net(twice[-len(feats):])[0]
        delay = 2 * quell_dsp.hop_samples(cfg, rate)
        frame_db = 10.0 * np.log10(e_clean.sum(1) / max(e_clean.sum(1).max(), 1e-20) + 1e-12)
        # Frame classes by loudness under the clip's loudest frame: [0, -10), [-10, -20), ...,
        # the last class everything quieter than the last edge.
        cls = np.minimum(np.floor(-frame_db / 10.0).astype(int), len(LOUDNESS_EDGES_DB) - 1)
        total = max(float(e_clean.sum()), 1e-20)
        for name, g in gains.items():
            speech = quell_dsp.apply_gains(cfg, rate, clean, g)[delay:]
            left = quell_dsp.apply_gains(cfg, rate, noise, g)[delay:]
            m = len(speech)
            ref = clean[:m]
            scores[name].append((metrics.si_sdr(ref, speech + left), metrics.si_sdr(ref, speech),
                                 10.0 * np.log10(max(np.sum(left ** 2), 1e-20)
                                                 / max(np.sum(noise[:m] ** 2), 1e-20))))
            removed = e_clean * (1.0 - g) ** 2
            band_loss[name] += removed.sum(0) / total
            np.add.at(loud_loss[name], cls, removed.sum(1) / total)

    k = len(items)
    print(f"dev/{a.set} at {sorted(snrs)} dB SNR: {k} items, blob {a.blob}")
    print("| gains | SI-SDR dB | speech kept dB | noise change dB |")
    print("|---|---|---|---|")
    for name, rows in scores.items():
        r = np.mean(rows, axis=0)
        print(f"| {name} | {r[0]:.2f} | {r[1]:.2f} | {r[2]:.2f} |")
    heads = " | ".join(names)
    print(f"\nspeech energy removed per band (x 1e-3 of the clean energy, mean per item), {heads}:")
    print(" ".join(f"{c:.0f}:" + "|".join(f"{1e3 * band_loss[n][b] / k:.1f}" for n in names)
                   for b, c in enumerate(centres) if c < rate / 2))
    print(f"\nspeech energy removed by frame loudness (x 1e-3, mean per item), {heads}:")
    for i, edge in enumerate(LOUDNESS_EDGES_DB):
        label = (f"{edge} to {edge - 10} dB" if i + 1 < len(LOUDNESS_EDGES_DB)
                 else f"under {edge} dB")
        print(f"  {label:16} " + " | ".join(f"{1e3 * loud_loss[n][i] / k:.2f}" for n in names))


if __name__ == "__main__":
    main()
