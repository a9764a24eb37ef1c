"""sanity.py — a quick look at a trained blob on dev/mix48 through the C engine (via ctypes).

Not the evaluation (that is `make eval`, through the real plugin and every meter): this only
checks that a freshly exported blob helps at all before anyone spends an eval run on it. Never
used to choose anything in training (dev/ is held out).

    /usr/bin/python3 model/sanity.py [--blob model/quell.qwb] [--limit 12] [--atten 30]
Prints mean SI-SDR and STOI (reference meter from ../shared/meters) for noisy and processed.
"""
import argparse
import glob
import importlib.util
import os
import sys

import numpy as np
import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import quell_dsp  # noqa: E402

SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "shared"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blob", default=os.path.join(HERE, "quell.qwb"))
    ap.add_argument("--limit", type=int, default=12)
    ap.add_argument("--atten", type=float, default=30.0)
    a = ap.parse_args()
    spec = importlib.util.spec_from_file_location("meter", os.path.join(SHARED, "meters", "meter.py"))
    meter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(meter)
    model = quell_dsp.Model.load(a.blob)
    files = sorted(glob.glob(os.path.join(SHARED, "data", "dev", "mix48", "noisy", "*.flac")))
    files = files[::max(1, len(files) // a.limit)][:a.limit]
    rows = []
    for f in files:
        x, fs = sf.read(f, dtype="float32")
        c, _ = sf.read(f.replace("/noisy/", "/clean/"), dtype="float64")
        eng = quell_dsp.Engine(model, fs)
        eng.set_params(atten_limit_db=a.atten)
        lat = eng.latency()
        y = eng.process(np.concatenate([x, np.zeros(lat, np.float32)]))[lat:].astype(np.float64)
        r = [meter.si_sdr(c, x.astype(np.float64)), meter.si_sdr(c, y),
             meter.stoi(c, x.astype(np.float64), fs), meter.stoi(c, y, fs)]
        rows.append(r)
        print(f"{os.path.basename(f)}: SI-SDR {r[0]:6.2f} -> {r[1]:6.2f} dB, "
              f"STOI {r[2]:.3f} -> {r[3]:.3f}", flush=True)
    m = np.mean(rows, axis=0)
    print(f"mean of {len(rows)}: SI-SDR {m[0]:.2f} -> {m[1]:.2f} dB, STOI {m[2]:.3f} -> {m[3]:.3f}")


if __name__ == "__main__":
    main()
