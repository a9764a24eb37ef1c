"""heldout.py — does the model generalise beyond dev/? Speech and noise that training never saw.

Speech: Debian tuxpaint descriptions in the languages reserved for evaluation (nl, lt, bg;
44.1 kHz, from ../shared/data/get-debian-speech.sh into model/cache/debian-speech). Noise:
noise/street_cafe and noise/ambient/playground (both held out of training). Each utterance is
scored clean and mixed at 0, 5, 10 and 20 dB SNR (fixed seed), run through the built plugin by
quell-process (lilv, default controls) and scored with model/metrics.py against the clean
speech. The noise alone (at its 10 dB-mix level) measures how far the model turns down a
speech-free stretch (its level change is the reduction).

    /usr/bin/python3 model/heldout.py [--blob model/quell.qwb] [--per-language 6]
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import metrics  # noqa: E402

LANGUAGES = ("nl", "lt", "bg")
CONDITIONS = ("clean", 0, 5, 10, 20, "noise")


def mix_at(speech, noise, snr_db):
    """speech + noise scaled to snr_db (power over the whole utterance)."""
    gain = np.sqrt(np.mean(speech ** 2) / max(np.mean(noise ** 2), 1e-12) / 10 ** (snr_db / 10))
    return speech + gain * noise


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blob", default=os.path.join(HERE, "quell.qwb"))
    ap.add_argument("--shared", default=os.environ.get("QUELL_SHARED", os.path.join(HERE, "..", "..", "shared")))
    ap.add_argument("--speech", default=os.path.join(HERE, "cache", "debian-speech", "tuxpaint"))
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--per-language", type=int, default=6)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()

    speech = []
    for lang in LANGUAGES:
        speech += sorted(glob.glob(os.path.join(a.speech, lang, "*.ogg")))[:a.per_language]
    noises = sorted(glob.glob(os.path.join(a.shared, "data", "noise", "street_cafe", "*"))) + \
        sorted(glob.glob(os.path.join(a.shared, "data", "noise", "ambient", "playground", "*")))[:10]
    if not speech or not noises:
        sys.exit(f"heldout: need {a.speech}/{{nl,lt,bg}} (get-debian-speech.sh) and {a.shared}/data/noise")
    process = os.path.join(a.build, "host-test", "quell-process")
    rng = np.random.default_rng(a.seed)
    rows = {c: [] for c in CONDITIONS}
    with tempfile.TemporaryDirectory() as tmp:
        # LV2_PATH names only a folder holding the built bundle, so nothing else is scanned.
        lv2 = os.path.join(tmp, "lv2")
        os.mkdir(lv2)
        os.symlink(os.path.abspath(os.path.join(a.build, "quell.lv2")), os.path.join(lv2, "quell.lv2"))
        env = dict(os.environ, QUELL_MODEL=os.path.abspath(a.blob), LV2_PATH=lv2)
        for i, path in enumerate(speech):
            x, rate = sf.read(path, dtype="float32", always_2d=True)
            x = x.mean(axis=1)
            n, nrate = sf.read(noises[i % len(noises)], dtype="float32", always_2d=True)
            n = metrics.resample(n.mean(axis=1), nrate, rate)
            n = np.tile(n, int(np.ceil(len(x) / len(n))) + 1)
            start = rng.integers(0, len(n) - len(x) + 1)
            n = n[start:start + len(x)]
            for cond in CONDITIONS:
                if cond == "clean":
                    y = x.copy()
                elif cond == "noise":
                    y = mix_at(x, n, 10) - x
                else:
                    y = mix_at(x, n, cond)
                y = y / max(1.0, np.abs(y).max() / 0.9)  # no clipping; SI-SDR ignores the scale
                fin, fout = os.path.join(tmp, "in.wav"), os.path.join(tmp, "out.wav")
                sf.write(fin, y, rate, subtype="FLOAT")
                subprocess.run([process, "-q", "--float", "--force", fin, fout], env=env, check=True)
                e, _ = sf.read(fout, dtype="float64")
                level = 10 * np.log10(np.sum(e ** 2) / np.sum(y ** 2))
                if cond == "noise":  # no speech to score against: the level change is the reduction
                    rows[cond].append((np.nan, np.nan, np.nan, np.nan, level))
                else:
                    rows[cond].append((metrics.si_sdr(x, y), metrics.si_sdr(x, e), metrics.stoi(x, y, rate),
                                       metrics.stoi(x, e, rate), level))
    print(f"held-out: {len(speech)} utterances ({', '.join(LANGUAGES)}), blob {a.blob}")
    print("| condition | n | input SI-SDR | Quell SI-SDR | input STOI | Quell STOI | level change dB |")
    print("|---|---|---|---|---|---|---|")
    for cond, v in rows.items():
        m = np.array(v).mean(axis=0)
        name = "clean speech" if cond == "clean" else f"{cond} dB SNR"
        si_in = "∞" if cond == "clean" else f"{m[0]:.2f}"
        if cond == "noise":
            print(f"| noise alone | {len(v)} | – | – | – | – | {m[4]:+.2f} |")
            continue
        print(f"| {name} | {len(v)} | {si_in} | {m[1]:.2f} | {m[2]:.3f} | {m[3]:.3f} | {m[4]:+.2f} |")


if __name__ == "__main__":
    main()
