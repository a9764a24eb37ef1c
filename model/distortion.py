"""distortion.py — where does the model lose speech? Speech kept vs noise removed by its gains.

For each dev/mix48 pair at the chosen SNRs, the blob's network (run by the C engine through
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

    /usr/bin/python3 model/distortion.py [--blob model/quell.qwb] [--snr 15,20]
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
    ap.add_argument("--snr", default="15,20", help="dev/mix48 input SNRs to include")
    a = ap.parse_args()
    root = os.path.join(a.shared, "data", "dev", "mix48")
    if not os.path.isdir(root):
        sys.exit(f"distortion.py: {root} not found (set QUELL_SHARED to the shared folder)")
    snrs = {int(s) for s in a.snr.split(",")}
    model = quell_dsp.Model.load(a.blob)
    cfg = model.config()
    centres = quell_dsp.band_centres(cfg)
    items = [it for it in quell_eval.mix48_items(a.shared)
             if it.snr is not None and int(it.snr) in snrs]
    if not items:
        sys.exit(f"distortion.py: no dev/mix48 items at SNR {sorted(snrs)}")

    scores = {"network": [], "wiener": []}
    band_loss = {"network": np.zeros(cfg.nb_bands), "wiener": np.zeros(cfg.nb_bands)}
    loud_loss = {"network": np.zeros(len(LOUDNESS_EDGES_DB)), "wiener": np.zeros(len(LOUDNESS_EDGES_DB))}
    for it in items:
        noisy, rate = quell_eval.read_mono(it.noisy)
        clean, _ = quell_eval.read_mono(it.clean)
        n = min(len(noisy), len(clean))
        noisy, clean = noisy[:n].astype(np.float32), clean[:n].astype(np.float32)
        noise = noisy - clean
        feats, e_noisy, e_clean = quell_dsp.analyze(cfg, rate, noisy, clean)
        gains = {"network": model.run_net(feats)[0],
                 "wiener": quell_dsp.ideal_band_gains(e_noisy, e_clean, 2.0)}
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
    print(f"dev/mix48 at {sorted(snrs)} dB SNR: {k} items, blob {a.blob}")
    print("| gains | SI-SDR dB | speech kept dB | noise change dB |")
    print("|---|---|---|---|")
    for name, rows in scores.items():
        r = np.mean(rows, axis=0)
        print(f"| {name} | {r[0]:.2f} | {r[1]:.2f} | {r[2]:.2f} |")
    print("\nspeech energy removed per band (x 1e-3 of the clean energy, mean per item), network | wiener:")
    print(" ".join(f"{c:.0f}:{1e3 * x / k:.1f}|{1e3 * y / k:.1f}"
                   for c, x, y in zip(centres, band_loss["network"], band_loss["wiener"])
                   if c < rate / 2))
    print("\nspeech energy removed by frame loudness (x 1e-3, mean per item), network | wiener:")
    for i, edge in enumerate(LOUDNESS_EDGES_DB):
        label = (f"{edge} to {edge - 10} dB" if i + 1 < len(LOUDNESS_EDGES_DB)
                 else f"under {edge} dB")
        print(f"  {label:16} {1e3 * loud_loss['network'][i] / k:.2f} | {1e3 * loud_loss['wiener'][i] / k:.2f}")


if __name__ == "__main__":
    main()
