#!/usr/bin/python3
"""rate_probe.py — does the model's estimate depend on the processing rate? (issue 20's lead)

Each dev/wild48 (or dev/mix48) pair is processed by the built plugin (quell-process, default
controls) twice: at its own 48 kHz, and resampled to 16 kHz first. Both outputs and the clean
reference are scored at 16 kHz (STOI, SI-SDR, DNSMOS OVRL/BAK), so the only difference is what
the model saw: at 16 kHz the bands above 8 kHz read as silence. wild48's noises were recorded at
22.05 kHz (nothing above 11 kHz) while its speech is full band; a model that scores better at
16 kHz there is misled by the upper bands, not short of resolution.

    QUELL_SHARED=../shared python3 model/rate_probe.py [--set wild48] [--blob model/quell.qwb]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dnsmos  # noqa: E402
import metrics  # noqa: E402

REPO = os.path.dirname(HERE)


def process(src, dst, blob, build):
    env = dict(os.environ, LV2_PATH=os.path.join(build, "quell.lv2"), QUELL_MODEL=blob)
    subprocess.run([os.path.join(build, "host-test", "quell-process"), "--quiet", "--float", src, dst],
                   check=True, env=env)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", default="wild48", choices=("wild48", "mix48"))
    ap.add_argument("--blob", default=os.path.join(HERE, "quell.qwb"))
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--shared", default=os.environ.get("QUELL_SHARED",
                                                       os.path.join(REPO, "..", "shared")))
    a = ap.parse_args()
    root = os.path.join(a.shared, "data", "dev", a.set)
    names = sorted(os.listdir(os.path.join(root, "noisy")))
    rows = {"48 kHz": [], "16 kHz": []}
    outs = {"48 kHz": [], "16 kHz": []}
    cleans = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in names:
            noisy, rate = sf.read(os.path.join(root, "noisy", n), dtype="float32")
            clean, _ = sf.read(os.path.join(root, "clean", n), dtype="float32")
            c16 = metrics.resample(clean, rate, 16000)
            cleans.append(c16)
            src48 = os.path.join(tmp, "in48.wav")
            src16 = os.path.join(tmp, "in16.wav")
            sf.write(src48, noisy, rate, subtype="FLOAT")
            sf.write(src16, metrics.resample(noisy, rate, 16000), 16000, subtype="FLOAT")
            for label, src in (("48 kHz", src48), ("16 kHz", src16)):
                dst = os.path.join(tmp, "out.wav")
                process(src, dst, a.blob, a.build)
                y, r = sf.read(dst, dtype="float32")
                y16 = metrics.resample(y, r, 16000) if r != 16000 else y
                outs[label].append(y16)
                rows[label].append((metrics.stoi(c16, y16, 16000), metrics.si_sdr(c16, y16)))
    print(f"dev/{a.set}, {len(names)} items, blob {os.path.basename(a.blob)}, scored at 16 kHz")
    print("| processed at | STOI | SI-SDR dB | DNSMOS OVRL | BAK |")
    print("|---|---|---|---|---|")
    result = {}
    for label in rows:
        d = dnsmos.score_signals([(x, 16000) for x in outs[label]])
        ovrl = float(np.mean([s["OVRL"] for s in d]))
        bak = float(np.mean([s["BAK"] for s in d]))
        st, sd = np.mean([r[0] for r in rows[label]]), np.mean([r[1] for r in rows[label]])
        result[label] = dict(stoi=st, si_sdr=sd, ovrl=ovrl, bak=bak)
        print(f"| {label} | {st:.3f} | {sd:.2f} | {ovrl:.3f} | {bak:.2f} |")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
